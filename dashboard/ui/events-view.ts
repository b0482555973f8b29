// The stream of machine events, newest first, up to the moment shown: filterable by replica,
// machine and event type, with pause (the list holds still while the charts stay live). A click
// on a row travels to it.
import type { HistoryEntry } from '../model/history.js';
import { clockTime, fill, h } from './dom.js';
import type { ViewState } from './state.js';

/** Rows drawn at most: the history may hold thousands; a person reads the newest. */
const rowsMax = 250;
/** Entries looked through for matching rows at most (a filter that matches little stays cheap). */
const scannedMax = 20_000;

export function eventTypeOf(entry: HistoryEntry): string {
  const message = entry.message;
  switch (message.kind) {
    case 'transition':
      return message.event.type;
    case 'mark':
      return `mark.${message.mark}`;
    default:
      return message.kind;
  }
}

function describe(entry: HistoryEntry): string {
  const message = entry.message;
  const key = (id: string): string => id.slice(id.lastIndexOf('.') + 1);
  switch (message.kind) {
    case 'transition': {
      const moves = message.transitions
        .filter((transition) => transition.targets.length > 0)
        .map((transition) =>
          `${key(transition.source)} → ${transition.targets.map(key).join(',')}`);
      const fields = Object.entries(message.event)
        .filter(([name]) => name !== 'type')
        .map(([name, value]) => `${name}=${String(value)}`);
      // A summed record: the first event's fields, and how many such events the window held.
      const times = message.repeat === undefined ? '' : `×${message.repeat}`;
      return [times, moves.join('; '), fields.join(' ')].filter((part) => part !== '')
        .join('  ');
    }
    case 'actor':
      return `started in ${JSON.stringify(message.state)}`;
    case 'ended':
      return message.status;
    case 'gap':
      return `${message.dropped} records missed`;
    case 'mark':
      return message.text;
    case 'reset':
      return 'stream started again';
  }
}

export function matches(entry: HistoryEntry, filters: ViewState['filters']): boolean {
  const message = entry.message;
  if (filters.replica !== '' && ('replica' in message ? message.replica : '') !== filters.replica) {
    return false;
  }
  if (filters.machine !== '' && entry.machine !== filters.machine) return false;
  if (filters.event !== '' && !eventTypeOf(entry).toLowerCase()
    .includes(filters.event.toLowerCase())) return false;
  return true;
}

/** A row of the event stream (`data-event-row`), or of a session's own events (the panel's). */
export function eventRow(entry: HistoryEntry, simulated: boolean, current: boolean,
  rowAttribute = 'data-event-row'): HTMLElement {
  const message = entry.message;
  const replica = 'replica' in message && message.replica !== undefined ? message.replica : '';
  const who = entry.label ?? (entry.machine === '' ? '' : entry.machine);
  return h('div', {
    class: `event-row kind-${message.kind}${current ? ' current' : ''}`,
    [rowAttribute]: entry.n, 'data-replica': replica, 'data-machine': entry.machine,
    'data-event-type': eventTypeOf(entry),
  },
  h('span', { class: 'event-time mono' }, clockTime(message.time, simulated)),
  h('span', { class: 'event-replica mono' }, replica),
  h('span', { class: 'event-machine', title: entry.machine }, who),
  h('span', { class: 'event-type mono' }, eventTypeOf(entry)),
  h('span', { class: 'event-detail mono' }, describe(entry)));
}

export class EventsView {
  readonly element: HTMLElement;
  private readonly rows = h('div', { class: 'event-rows' });
  private readonly replicaSelect = h('select', { 'data-filter': 'replica' });
  private readonly machineSelect = h('select', { 'data-filter': 'machine' });
  private readonly eventInput = h('input', {
    'data-filter': 'event', type: 'search', placeholder: 'event type', spellcheck: 'false',
    list: 'event-types',
  });
  /** Suggestions for the event filter: every event type the history has shown. */
  private readonly eventTypes = h('datalist', { id: 'event-types' });
  private readonly seenTypes = new Set<string>();
  private typesScannedTo = 0;
  private readonly pauseButton = h('button', { 'data-action': 'pause' }, 'pause');
  private readonly count = h('span', { class: 'event-count' });
  private shownKey = '';

  constructor(private readonly state: ViewState) {
    this.element = h('section', { class: 'events panel' },
      h('header', { class: 'panel-head' }, h('span', { class: 'panel-title' }, 'machine events'),
        this.count),
      h('div', { class: 'filters' }, this.replicaSelect, this.machineSelect, this.eventInput,
        // A trace does not stream: its pause is the playback's ([data-action="pause"] is one
        // button per page, as the contract names it).
        this.eventTypes, state.model.info.mode === 'trace' ? null : this.pauseButton),
      this.rows);
    const update = (): void => {
      state.filters = {
        replica: this.replicaSelect.value,
        machine: this.machineSelect.value,
        event: this.eventInput.value.trim(),
      };
      state.changed();
    };
    this.replicaSelect.addEventListener('change', update);
    this.machineSelect.addEventListener('change', update);
    this.eventInput.addEventListener('input', update);
    this.pauseButton.addEventListener('click', () => {
      state.paused = !state.paused;
      state.pausedAt = state.model.history.end;
      state.changed();
    });
    this.rows.addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-event-row]');
      if (row !== null) state.travel(Number(row.dataset.eventRow) + 1);
    });
  }

  private syncOptions(select: HTMLSelectElement, label: string, values: string[]): void {
    const key = values.join('\n');
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    const current = select.value;
    fill(select, h('option', { value: '' }, `all ${label}`),
      ...values.map((value) => h('option', { value }, value)));
    select.value = values.includes(current) ? current : '';
  }

  /** Adds the event types of entries not looked at yet to the filter's suggestions. */
  private suggestTypes(): void {
    const history = this.state.model.history;
    const before = this.seenTypes.size;
    for (const entry of history.slice(Math.max(this.typesScannedTo, history.start), history.end)) {
      if (this.seenTypes.size >= 500) break;
      this.seenTypes.add(eventTypeOf(entry));
    }
    this.typesScannedTo = history.end;
    if (this.seenTypes.size === before) return;
    fill(this.eventTypes,
      ...[...this.seenTypes].sort().map((type) => h('option', { value: type })));
  }

  render(): void {
    const state = this.state;
    const model = state.model;
    const history = model.history;
    this.syncOptions(this.replicaSelect, 'replicas', model.replicaIds());
    const machines = new Set<string>();
    for (const info of model.replicas.values()) {
      for (const name of info.charts.keys()) machines.add(name);
    }
    this.syncOptions(this.machineSelect, 'machines', [...machines].sort());
    this.suggestTypes();
    this.pauseButton.dataset.action = state.paused ? 'resume' : 'pause';
    this.pauseButton.textContent = state.paused ? 'resume' : 'pause';
    this.pauseButton.classList.toggle('active', state.paused);
    const end = state.paused ? Math.min(state.pausedAt, state.viewEnd) : state.viewEnd;
    this.count.textContent = `${history.size} kept${state.paused ? ' · paused' : ''}`;
    const key = JSON.stringify([end, history.start, state.filters, state.paused]);
    if (key === this.shownKey) return;
    this.shownKey = key;
    const shown: HistoryEntry[] = [];
    const from = Math.max(history.start, end - scannedMax);
    for (let n = end - 1; n >= from && shown.length < rowsMax; n--) {
      const entry = history.entry(n);
      if (entry !== undefined && entry.message.kind !== 'reset' && matches(entry, state.filters)) {
        shown.push(entry);
      }
    }
    const simulated = model.info.mode === 'trace';
    fill(this.rows, ...shown.map((entry) => eventRow(entry, simulated, entry.n === end - 1)));
  }
}
