// The footer: the time-travel scrubber over the kept history ("i / n", back to live), and in
// trace mode the trace's controls (step, jump to start/end/violation, play/pause) and its
// violation text.
import { clockTime, h, setText } from './dom.js';
import type { ViewState } from './state.js';

/** Steps per second while a trace plays. */
const playStepsPerSecond = 12;

export class TimelineView {
  readonly element: HTMLElement;
  private readonly range = h('input', {
    type: 'range', min: 0, max: 0, value: 0, step: 1, 'data-timeline': '',
    'aria-label': 'time travel',
  });
  private readonly position = h('span', {
    class: 'timeline-position mono', 'data-timeline-position': '',
  });
  private readonly moment = h('span', { class: 'timeline-moment mono' });
  private readonly liveButton = h('button', { 'data-action': 'live' }, 'live');
  private readonly traceStep = h('span', { class: 'mono trace-step', 'data-trace-step': '' });
  private readonly violation = h('div', { class: 'violation', 'data-violation': '' });
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly state: ViewState) {
    const trace = state.model.info.mode === 'trace';
    const button = (action: string, text: string, title: string): HTMLButtonElement => {
      const element = h('button', { 'data-action': action, title }, text);
      element.addEventListener('click', () => this.act(action));
      return element;
    };
    const traceControls = trace
      ? h('div', { class: 'trace-controls' },
        button('jump-start', '|◀ start', 'jump to the start'),
        button('step-back', '◀ back', 'one step back (←)'),
        button('play', 'play', 'play the trace'),
        button('pause', 'pause', 'pause'),
        button('step-forward', 'step ▶', 'one step forward (→)'),
        button('jump-end', 'end ▶|', 'jump to the end'),
        button('jump-violation', 'violation', 'jump to the violation'),
        this.traceStep)
      : null;
    this.liveButton.addEventListener('click', () => this.act('live'));
    this.range.addEventListener('input', () => {
      const history = state.model.history;
      const value = Number(this.range.value);
      state.travel(!trace && value >= history.size ? undefined : history.start + value);
    });
    this.element = h('footer', { class: 'timeline' },
      traceControls,
      h('div', { class: 'scrubber' },
        h('span', { class: 'timeline-label' }, trace ? 'trace' : 'time travel'),
        this.range, this.position, this.moment, trace ? null : this.liveButton),
      trace ? this.violation : null);
    document.addEventListener('keydown', (event) => {
      if ((event.target as HTMLElement).closest('input, select, textarea') !== null) return;
      if (event.key === 'ArrowRight') this.act('step-forward');
      else if (event.key === 'ArrowLeft') this.act('step-back');
    });
  }

  act(action: string): void {
    const state = this.state;
    const history = state.model.history;
    const end = state.viewEnd;
    switch (action) {
      case 'step-forward':
        return state.travel(end + 1 >= history.end && state.model.info.mode === 'live'
          ? undefined : end + 1);
      case 'step-back':
        return state.travel(end - 1);
      case 'jump-start':
        return state.travel(history.start);
      case 'jump-end':
        this.stop();
        return state.travel(history.end);
      case 'jump-violation': {
        const violation = state.model.violation();
        this.stop();
        if (violation !== undefined) state.travel(violation.entry.n + 1);
        return;
      }
      case 'play':
        if (this.timer !== undefined) return;
        if (end >= history.end) state.travel(history.start);
        state.playing = true;
        this.timer = setInterval(() => {
          if (state.viewEnd >= history.end) this.stop();
          else state.travel(state.viewEnd + 1);
        }, 1000 / playStepsPerSecond);
        state.changed();
        return;
      case 'pause':
        this.stop();
        return;
      case 'live':
        this.stop();
        return state.travel(undefined);
    }
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.state.playing) {
      this.state.playing = false;
      this.state.changed();
    }
  }

  render(): void {
    const state = this.state;
    const model = state.model;
    const history = model.history;
    const value = state.viewEnd - history.start;
    const size = history.size;
    this.range.max = String(size);
    if (document.activeElement !== this.range || state.playing) this.range.value = String(value);
    const text = `${value} / ${size}`;
    setText(this.position, text);
    setText(this.traceStep, text);
    const last = history.entry(state.viewEnd - 1);
    setText(this.moment, last === undefined ? ''
      : `@ ${clockTime(last.message.time, model.info.mode === 'trace')}`);
    this.liveButton.classList.toggle('active', state.live);
    this.liveButton.textContent = state.live ? '● live' : 'back to live';
    this.element.classList.toggle('travelling', !state.live && model.info.mode === 'live');
    const violation = model.violation();
    setText(this.violation, violation === undefined ? '' : `violation: ${violation.mark.text}`);
    this.violation.hidden = violation === undefined;
    const jump = this.element.querySelector<HTMLButtonElement>('[data-action="jump-violation"]');
    if (jump !== null) {
      jump.disabled = violation === undefined;
      jump.title = violation === undefined ? 'this run has no violation' : 'jump to the violation';
    }
    this.element.querySelector('[data-action="play"]')?.classList.toggle('active', state.playing);
  }
}
