// The dashboard page: asks its server for /api/info, then feeds the model from /events (live,
// server-sent events) or /api/trace (a simulator trace, replayed step by step), and redraws at
// most a few times a second from the model. Everything it loads comes from its own server.
import './app.css';
import type { DashboardMessage } from '../../protocol/machine-stream.js';
import { DashboardModel, loadTrace, type DashboardInfo } from '../model/dashboard-model.js';
import { summarize } from '../model/ensemble.js';
import { h, setData, setText } from './dom.js';
import { EventsView } from './events-view.js';
import { ReplicasView } from './replicas-view.js';
import { SessionView } from './session-view.js';
import { ViewState } from './state.js';
import { TimelineView } from './timeline.js';

/** Redraws per second at most while events stream in. */
const redrawsPerSecond = 8;
/** The page is ready after this long even if no message came (an ensemble with nothing to say). */
const readyAfterMs = 1_500;

class Page {
  readonly state: ViewState;
  private readonly header: HTMLElement;
  private readonly leader = h('span', { class: 'leader mono' });
  private readonly epoch = h('span', { class: 'mono' });
  private readonly election = h('span', { class: 'election' });
  private readonly status = h('span', { class: 'status' });
  private readonly travelling = h('button', {
    class: 'travel-badge', 'data-action': 'back-to-live', hidden: true,
    title: 'the charts show the past: back to live',
  });
  private readonly replicas: ReplicasView;
  private readonly events: EventsView;
  private readonly session: SessionView;
  private readonly timeline: TimelineView;
  private scheduled = false;
  private lastDraw = 0;

  constructor(readonly model: DashboardModel) {
    this.state = new ViewState(model, () => this.schedule());
    this.header = h('header', {
      class: 'top', 'data-leader': '', 'data-election-in-progress': 'false',
    },
    h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◆'), ' corral',
      h('span', { class: 'mode' }, model.info.mode === 'trace'
        ? `trace ${model.info.trace ?? ''}` : 'live')),
    h('div', { class: 'ensemble' },
      h('span', { class: 'label' }, 'leader'), this.leader,
      h('span', { class: 'label' }, 'epoch'), this.epoch,
      this.election),
    this.travelling,
    this.status);
    this.travelling.addEventListener('click', () => this.state.travel(undefined));
    this.replicas = new ReplicasView(this.state);
    this.events = new EventsView(this.state);
    this.session = new SessionView(this.state);
    this.timeline = new TimelineView(this.state);
    document.body.append(this.header,
      h('main', { class: 'layout' }, this.replicas.element,
        h('aside', { class: 'side' }, this.session.element, this.events.element)),
      this.timeline.element);
  }

  setStatus(text: string, ok: boolean): void {
    setText(this.status, text);
    this.status.classList.toggle('bad', !ok);
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastDraw + 1000 / redrawsPerSecond - performance.now());
    setTimeout(() => requestAnimationFrame(() => {
      this.scheduled = false;
      this.lastDraw = performance.now();
      this.draw();
    }), wait);
  }

  private draw(): void {
    const state = this.state;
    const world = state.world();
    const summary = summarize(this.model, world, state.live);
    // A transition flashes when it is new to the eye: live, or one step from the last view.
    const end = state.viewEnd;
    const fresh = state.live || Math.abs(end - state.lastShownEnd) <= 1;
    state.lastShownEnd = end;
    setData(this.header, 'leader', summary.leader);
    setData(this.header, 'electionInProgress', String(summary.electionInProgress));
    setText(this.leader, summary.leader === '' ? 'none' : summary.leader);
    setText(this.epoch, summary.epoch === undefined ? '–' : String(summary.epoch));
    setText(this.election, summary.electionInProgress ? 'election in progress' : 'stable');
    this.election.classList.toggle('electing', summary.electionInProgress);
    const travelling = !state.live && this.model.info.mode === 'live';
    document.body.classList.toggle('travelling', travelling);
    this.travelling.hidden = !travelling;
    if (travelling) {
      const history = this.model.history;
      setText(this.travelling, `viewing the past: ${end - history.start} / ${history.size}` +
        ` · ${history.end - end} newer events · back to live`);
    }
    this.replicas.render(summary.replicas, fresh);
    this.session.render(fresh);
    this.events.render();
    this.timeline.render();
  }
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return await response.json() as T;
}

function markReady(): void {
  document.body.dataset.ready = 'true';
}

function streamLive(page: Page, model: DashboardModel): void {
  const source = new EventSource('/events');
  let readyTimer: ReturnType<typeof setTimeout> | undefined = setTimeout(markReady, readyAfterMs);
  source.onopen = () =>
    page.setStatus(`streaming from ${model.info.servers.length} replicas`, true);
  source.onerror = () => page.setStatus('stream lost: reconnecting…', false);
  source.onmessage = (event: MessageEvent<string>) => {
    try {
      model.apply(JSON.parse(event.data) as DashboardMessage);
    } catch {
      model.refused++;
      return;
    }
    page.schedule();
    if (readyTimer !== undefined) {
      clearTimeout(readyTimer);
      readyTimer = undefined;
      // Ready once the first burst (hellos, actors, figures) is drawn.
      setTimeout(() => {
        page.schedule();
        requestAnimationFrame(() => requestAnimationFrame(markReady));
      }, 300);
    }
  };
}

async function loadTraceFile(page: Page, model: DashboardModel): Promise<void> {
  const response = await fetch('/api/trace');
  if (!response.ok) throw new Error(`/api/trace: HTTP ${response.status}`);
  loadTrace(model, await response.text());
  page.state.travel(model.history.start);
  const header = model.trace;
  page.setStatus(header === undefined ? 'trace' :
    `seed ${header.seed} · ${model.history.size} steps · ${header.flags.join(' ')}`, true);
  page.schedule();
  requestAnimationFrame(() => requestAnimationFrame(markReady));
}

async function main(): Promise<void> {
  let info: DashboardInfo;
  try {
    info = await fetchJson<DashboardInfo>('/api/info');
  } catch (error) {
    document.body.append(h('p', { class: 'fatal' },
      `cannot reach the dashboard server: ${String(error)}`));
    return;
  }
  const model = new DashboardModel(info);
  const page = new Page(model);
  page.setStatus('connecting…', true);
  page.schedule();
  if (info.mode === 'trace') {
    await loadTraceFile(page, model).catch((error: unknown) => {
      page.setStatus(String(error), false);
      markReady();
    });
  } else {
    streamLive(page, model);
  }
}

void main();
