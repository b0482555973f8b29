// A column per replica: its card (role, epoch, last zxid, commit lag, connections, latency,
// up/down), the votes of its election, its replica machine's chart, and its sessions (counts per
// state and a list; a click opens one in the side panel).
import type { DashboardModel } from '../model/dashboard-model.js';
import {
  sessionCounts,
  sessionState,
  type ReplicaSummary,
} from '../model/ensemble.js';
import { statePath } from '../model/chart.js';
import type { ActorView } from '../model/world.js';
import { ChartView } from './chart-view.js';
import { fill, h, hex, setData, setText } from './dom.js';
import type { ViewState } from './state.js';

/** Sessions listed per replica at most (the counts cover them all). */
const sessionsListedMax = 200;

interface Column {
  element: HTMLElement;
  card: HTMLElement;
  figures: HTMLElement;
  machineState: HTMLElement;
  votes: HTMLElement;
  electionSlot: HTMLElement;
  election?: ChartView;
  chartSlot: HTMLElement;
  chart?: ChartView;
  sessions: HTMLElement;
  sessionsKey: string;
}

function figure(label: string, value: string, className = ''): HTMLElement {
  return h('div', { class: `figure ${className}` },
    h('span', { class: 'figure-label' }, label), h('span', { class: 'figure-value' }, value));
}

export class ReplicasView {
  readonly element = h('section', { class: 'replicas' });
  private readonly columns = new Map<string, Column>();

  constructor(private readonly state: ViewState) {
    this.element.addEventListener('click', (event) => {
      const target = (event.target as HTMLElement).closest<HTMLElement>('[data-session]');
      if (target !== null) {
        const replica = target.closest<HTMLElement>('[data-sessions]')?.dataset.sessions ?? '';
        this.state.selected = { replica, actor: target.dataset.actor ?? '' };
        this.state.changed();
        return;
      }
      const toggle = (event.target as HTMLElement).closest<HTMLElement>('[data-action="expand"]');
      if (toggle !== null) {
        const key = toggle.dataset.for ?? '';
        if (this.state.expanded.has(key)) this.state.expanded.delete(key);
        else this.state.expanded.add(key);
        this.state.changed();
      }
    });
  }

  private column(id: string): Column {
    let column = this.columns.get(id);
    if (column !== undefined) return column;
    const figures = h('div', { class: 'figures' });
    const machineState = h('div', { class: 'machine-state mono' });
    const card = h('article', { class: 'card', 'data-replica': id, 'data-role': 'down' },
      h('header', { class: 'card-head' },
        h('span', { class: 'card-title' }, id === 'standalone' ? 'standalone' : `replica ${id}`),
        h('span', { class: 'role-badge' })),
      figures, machineState);
    const votes = h('div', { class: 'votes', 'data-votes': id });
    const chartSlot = h('div', { class: 'chart-slot' });
    const electionSlot = h('div', { class: 'election-slot', hidden: true });
    const sessions = h('div', { class: 'sessions', 'data-sessions': id });
    const element = h('div', { class: 'replica-column' }, card, votes, electionSlot,
      h('div', { class: 'chart-head' },
        h('span', {}, 'replica machine'),
        h('button', { class: 'small', 'data-action': 'expand', 'data-for': id }, 'expand')),
      chartSlot, sessions);
    column = {
      element, card, figures, machineState, votes, electionSlot, chartSlot, sessions,
      sessionsKey: '',
    };
    this.columns.set(id, column);
    this.element.append(element);
    return column;
  }

  render(summaries: ReplicaSummary[], fresh: boolean): void {
    const model = this.state.model;
    this.element.style.setProperty('--columns', String(Math.max(1, summaries.length)));
    const shown = new Set(summaries.map((summary) => summary.id));
    for (const [id, column] of this.columns) {
      if (shown.has(id)) continue;
      column.element.remove();
      this.columns.delete(id);
    }
    for (const summary of summaries) {
      const column = this.column(summary.id);
      setData(column.element, 'down', String(summary.role === 'down'));
      this.renderCard(model, column, summary);
      this.renderVotes(column, summary);
      this.renderElection(model, column, summary, fresh);
      this.renderChart(model, column, summary, fresh);
      this.renderSessions(column, summary.id, summary.sessions);
    }
    // Columns in replica order, whatever order the replicas first spoke in.
    const ordered = summaries.map((summary) => this.columns.get(summary.id)!.element);
    if (ordered.some((element, index) => this.element.children[index] !== element)) {
      this.element.append(...ordered);
    }
  }

  private renderCard(model: DashboardModel, column: Column, summary: ReplicaSummary): void {
    const info = model.replicas.get(summary.id);
    const figures = info?.figures;
    const card = column.card;
    setData(card, 'role', summary.role);
    setData(card, 'epoch', summary.epoch === undefined ? '' : String(summary.epoch));
    setData(card, 'lastZxid', figures?.lastZxid ?? '');
    setData(card, 'commitLag', figures?.commitLag === undefined ? '' : String(figures.commitLag));
    setText(card.querySelector('.role-badge')!, summary.role);
    const connected = info?.source?.connected;
    const up = connected !== false && figures?.role !== 'down';
    const text = (value: number | string | undefined, unit = ''): string =>
      value === undefined ? '–' : `${value}${unit}`;
    const key = JSON.stringify([figures, connected, up]);
    if (model.info.mode === 'trace') {
      // A simulator has no admin figures: the card shows the replica machine's state.
      column.figures.hidden = true;
    } else if (column.figures.dataset.key !== key) {
      column.figures.dataset.key = key;
      fill(column.figures,
        figure('epoch', text(figures?.epoch)),
        figure('last zxid', text(figures?.lastZxid), 'mono'),
        figure('commit lag', text(figures?.commitLag)),
        figure('connections', text(figures?.connections)),
        figure('latency', text(figures?.avgLatencyMs === undefined ? undefined
          : Math.round(figures.avgLatencyMs * 100) / 100, ' ms')),
        figure('stream', up ? 'up' : 'down', up ? 'up' : 'down'));
    }
    const state = summary.machineState ?? (info?.source?.error ?? '');
    setText(column.machineState, model.info.mode === 'trace' && summary.epoch !== undefined
      ? `epoch ${summary.epoch} · ${state}` : state);
  }

  private renderVotes(column: Column, summary: ReplicaSummary): void {
    const election = summary.election;
    const key = JSON.stringify([election?.id, election?.ended, summary.votes]);
    if (column.votes.dataset.key === key) return;
    column.votes.dataset.key = key;
    if (election === undefined) {
      fill(column.votes);
      return;
    }
    const title = election.ended === undefined
      ? 'election: votes received' : 'last election: votes';
    fill(column.votes,
      h('div', { class: 'votes-title' }, title),
      summary.votes.length === 0 ? h('div', { class: 'vote-detail' }, 'none received yet') : null,
      ...summary.votes.map((vote) => h('div', {
        class: 'vote', 'data-vote': vote.from, 'data-vote-leader': vote.leader,
        title: `notification from replica ${vote.from}: it votes for ${vote.leader}`,
      }, h('span', { class: 'mono' }, `from ${vote.from}`), ' → ',
      h('strong', { class: 'mono' }, vote.leader),
      h('span', { class: 'vote-detail mono' },
        ` zxid ${hex(vote.zxid)} · epoch ${vote.peerEpoch ?? '?'} · round ${vote.round ?? '?'}` +
        `${vote.state === undefined ? '' : ` · ${vote.state}`}`))));
  }

  /** While the replica looks for a leader, its election machine's chart beside the votes. */
  private renderElection(model: DashboardModel, column: Column, summary: ReplicaSummary,
    fresh: boolean): void {
    const election = summary.election;
    const root = model.replicas.get(summary.id)?.charts.get('election');
    const running = election !== undefined && election.ended === undefined && root !== undefined;
    column.electionSlot.hidden = !running;
    if (!running) {
      if (column.election !== undefined) fill(column.electionSlot);
      column.election = undefined;
      return;
    }
    const key = `${summary.id}:${election.id}`;
    if (column.election?.key !== key || column.election.root !== root) {
      column.election = new ChartView(key, 'election', root);
      column.election.element.classList.add('expanded');
      fill(column.electionSlot, column.election.element);
    }
    column.election.update(election, fresh);
  }

  private renderChart(model: DashboardModel, column: Column, summary: ReplicaSummary,
    fresh: boolean): void {
    const actor = summary.replicaActor;
    const root = model.replicas.get(summary.id)?.charts.get('replica');
    if (root === undefined) {
      const hello = model.replicas.get(summary.id)?.hello;
      const text = hello === undefined ? 'waiting for the replica’s machines'
        : 'this server runs no replica machine';
      if (column.chart !== undefined || column.chartSlot.textContent !== text) {
        column.chart = undefined;
        fill(column.chartSlot, h('div', { class: 'empty' }, text));
      }
      return;
    }
    // Without a replica actor (not started yet, or down) the chart is drawn unlit.
    const key = `${summary.id}:${actor?.id ?? ''}`;
    if (column.chart === undefined || column.chart.key !== key || column.chart.root !== root) {
      column.chart = new ChartView(key, 'replica', root);
      fill(column.chartSlot, column.chart.element);
    }
    column.chart.element.classList.toggle('expanded', this.state.expanded.has(summary.id));
    column.chart.update(actor, fresh);
  }

  private renderSessions(column: Column, replica: string, sessions: ActorView[]): void {
    const selected = this.state.selected;
    const listed = sessions.slice(-sessionsListedMax);
    const key = JSON.stringify([listed.map((s) => [s.id, sessionState(s), s.label]),
      selected?.replica === replica ? selected.actor : '']);
    if (column.sessionsKey === key) return;
    column.sessionsKey = key;
    const counts = sessionCounts(sessions);
    fill(column.sessions,
      h('div', { class: 'sessions-title' }, `sessions (${sessions.length})`),
      h('div', { class: 'session-counts' }, ...counts.map(({ state, count }) =>
        h('span', { class: 'count', 'data-session-state': state, 'data-count': count },
          h('span', { class: 'mono' }, state), h('strong', {}, String(count))))),
      h('div', { class: 'session-list' }, ...listed.map((session) => {
        const label = session.label ?? `actor ${session.id}`;
        const state = sessionState(session);
        return h('button', {
          class: `session${selected?.replica === replica && selected.actor === session.id
            ? ' selected' : ''}`,
          'data-session': label, 'data-state': state, 'data-actor': session.id,
        }, h('span', { class: 'mono' }, label), h('span', { class: 'session-state' },
          // How it ended reads beside it: its last state (expired, closed).
          session.ended === undefined ? state : `ended · ${statePath(session.state)}`));
      })));
  }
}
