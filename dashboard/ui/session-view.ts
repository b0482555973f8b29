// The session opened from a replica's list: its session machine's chart as of the moment shown,
// and its own events from the history.
import type { HistoryEntry } from '../model/history.js';
import { sessionState } from '../model/ensemble.js';
import { ChartView } from './chart-view.js';
import { eventRow } from './events-view.js';
import { fill, h, setText } from './dom.js';
import type { ViewState } from './state.js';

/** A session's events listed at most, and history entries looked through for them. */
const sessionRowsMax = 100;
const scannedMax = 20_000;

export class SessionView {
  readonly element: HTMLElement;
  private readonly title = h('span', { class: 'panel-title' });
  private readonly chartSlot = h('div', { class: 'chart-slot session-chart' });
  private readonly rows = h('div', { class: 'event-rows' });
  private chart: ChartView | undefined;
  private shownKey = '';

  constructor(private readonly state: ViewState) {
    const close = h('button', { class: 'small', 'data-action': 'close-session' }, 'close');
    close.addEventListener('click', () => {
      state.selected = undefined;
      state.changed();
    });
    this.element = h('section', { class: 'session-detail panel', hidden: true },
      h('header', { class: 'panel-head' }, this.title, close), this.chartSlot, this.rows);
  }

  render(fresh: boolean): void {
    const state = this.state;
    const selected = state.selected;
    this.element.hidden = selected === undefined;
    if (selected === undefined) {
      this.chart = undefined;
      this.shownKey = '';
      return;
    }
    const model = state.model;
    const actor = state.world().replicas.get(selected.replica)?.get(selected.actor);
    const root = model.replicas.get(selected.replica)?.charts.get('session');
    const label = actor?.label ?? `actor ${selected.actor}`;
    setText(this.title, `session ${label} on replica ${selected.replica}` +
      (actor === undefined ? ' (not in the picture at this moment)'
        : ` · ${sessionState(actor)}`));
    const key = `${selected.replica}:${selected.actor}`;
    if (root !== undefined && (this.chart?.key !== key || this.chart.root !== root)) {
      this.chart = new ChartView(key, 'session', root);
      this.chart.element.classList.add('expanded');
      fill(this.chartSlot, this.chart.element);
    }
    this.chart?.update(actor, fresh);
    const end = state.viewEnd;
    const rowsKey = `${key}@${end}`;
    if (rowsKey === this.shownKey) return;
    this.shownKey = rowsKey;
    const history = model.history;
    const shown: HistoryEntry[] = [];
    for (let n = end - 1; n >= Math.max(history.start, end - scannedMax) &&
      shown.length < sessionRowsMax; n--) {
      const entry = history.entry(n);
      const message = entry?.message;
      if (entry === undefined || message === undefined || message.kind === 'mark' ||
        message.kind === 'reset') continue;
      if (message.replica === selected.replica && message.actor === selected.actor) {
        shown.push(entry);
      }
    }
    fill(this.rows, ...shown.map((entry) =>
      eventRow(entry, model.info.mode === 'trace', entry.n === end - 1, 'data-session-event')));
  }
}
