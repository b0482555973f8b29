// The dashboard's model fed from a real 3-replica ensemble's machine streams (processes, admin
// servers on loopback, each /commands/machine_events read over HTTP): the roles it derives, the
// charts it reads from the hellos against every state the replicas report, a session from
// connect to close, the leader's SIGKILL with the election's votes, and time travel checked
// against a plain replay of the same records, bounded or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { activeStateIds, nodesById, type ChartNode } from '../../dashboard/model/chart.js';
import { DashboardModel, loadTrace } from '../../dashboard/model/dashboard-model.js';
import { sessionState, summarize } from '../../dashboard/model/ensemble.js';
import type { DashboardMessage } from '../../protocol/machine-stream.js';
import { TestEnsemble } from '../support/ensemble.js';
import { MachineEventsReader } from '../ensemble/machine-events-reader.js';
import { naiveStates, statesOf } from './replay.js';

let ensemble: TestEnsemble;
const readers = new Map<number, MachineEventsReader>();
/** Every message in the order the model took it (what a dashboard server would forward). */
const fed: DashboardMessage[] = [];
const model = new DashboardModel({ mode: 'live', servers: [], historyLimit: 5_000 });
const taken = new Map<number, number>();

/** Feeds the model what each stream has delivered since the last call. */
function feed(): void {
  for (const [id, reader] of readers) {
    const from = taken.get(id) ?? 0;
    for (const message of reader.messages.slice(from)) {
      fed.push(message);
      model.apply(message);
    }
    taken.set(id, reader.messages.length);
  }
}

async function until(holds: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    feed();
    if (holds()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const live = () => summarize(model, model.history.live, true);

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 3, adminServers: true });
  ensemble.startAll();
  await ensemble.waitForLeader();
  for (const id of ensemble.ids) {
    readers.set(id, await MachineEventsReader.open(ensemble.adminPort(id)));
  }
}, 60_000);

afterAll(async () => {
  for (const reader of readers.values()) reader.close();
  await ensemble?.destroy();
});

describe('dashboard model on a real ensemble', { timeout: 60_000 }, () => {
  it('derives roles, sessions, the election and its votes, and travels back in time', async () => {
    const leader = String(await ensemble.waitForLeader());
    await until(() => live().leader === leader &&
      live().replicas.filter((replica) => replica.role === 'follower').length === 2,
    10_000, 'one leader and two followers');
    expect(live().electionInProgress).toBe(false);
    expect(model.replicaIds()).toEqual(['1', '2', '3']);

    // A session from connect to close, seen on every replica.
    const client = await connect(ensemble.connectString([Number(leader)]),
      { sessionTimeoutMs: 6_000 });
    const label = `0x${client.sessionId.toString(16)}`;
    const sessionOn = (id: string) =>
      live().replicas.find((replica) => replica.id === id)?.sessions
        .find((session) => session.label === label);
    await until(() => model.replicaIds().every((id) => sessionOn(id) !== undefined &&
      sessionState(sessionOn(id)!) !== 'ended'), 10_000, 'the session on every replica');
    expect(sessionState(sessionOn(leader)!)).toMatch(/^live\./);
    await client.close();
    await until(() => model.replicaIds().every((id) => sessionState(sessionOn(id)!) === 'ended'),
      10_000, 'the session ended on every replica');

    // SIGKILL of the leader: its stream closes (the dashboard server says so), the others elect.
    await ensemble.kill(Number(leader));
    readers.get(Number(leader))!.close();
    readers.delete(Number(leader));
    model.apply({ kind: 'source', replica: leader, address: '', connected: false });
    let electionSeen = false;
    await until(() => {
      const now = live();
      electionSeen ||= now.electionInProgress;
      return now.leader !== '' && now.leader !== leader;
    }, 15_000, 'a new leader');
    expect(electionSeen).toBe(true);
    // The new leader's discovery persists the next epoch: the ensemble's epoch, as the page shows.
    await until(() => live().epoch !== undefined, 10_000, 'the new epoch');
    // One survivor's stream can show the new leader before the other's election events arrive.
    await until(() => live().replicas.filter((replica) => replica.id !== leader)
      .every((replica) => replica.election?.ended === 'done'), 10_000,
    'both survivors\' elections ended');
    const after = live();
    expect(after.epoch).toBeGreaterThanOrEqual(2);
    expect(after.replicas.find((replica) => replica.id === leader)?.role).toBe('down');
    // Each survivor's election received notifications; the last of them name the new leader.
    for (const survivor of after.replicas.filter((replica) => replica.id !== leader)) {
      expect(survivor.election?.ended).toBe('done');
      expect(survivor.votes.length).toBeGreaterThan(0);
      expect(survivor.votes.map((vote) => vote.from)).not.toContain(survivor.id);
      expect(survivor.votes.some((vote) => vote.leader === after.leader)).toBe(true);
    }

    checkCharts();
    checkTimeTravel();
    checkTrace();
  });
});

/** Every state the replicas reported is a node of the chart their hello defined, and every
 * transition taken starts and ends at nodes of it. */
function checkCharts(): void {
  let checked = 0;
  for (const message of fed) {
    if (message.kind !== 'actor' && message.kind !== 'transition') continue;
    const info = model.replicas.get(message.replica)!;
    const machine = message.kind === 'actor' ? message.machine
      : model.history.live.replicas.get(message.replica)?.get(message.actor)?.machine;
    const chart: ChartNode | undefined = machine === undefined ? undefined
      : info.charts.get(machine);
    if (chart === undefined) continue;
    const nodes = nodesById(chart);
    for (const id of activeStateIds(chart.id, message.state)) expect(nodes.has(id)).toBe(true);
    if (message.kind === 'transition') {
      for (const transition of message.transitions) {
        expect(nodes.has(transition.source)).toBe(true);
        for (const target of transition.targets) expect(nodes.has(target)).toBe(true);
      }
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(50);
}

/** The world as of any kept entry equals a plain replay of the records up to it (checkpoints
 * every 8 entries, so replays start from many of them); a model with a short history agrees
 * within its window and keeps no more than its limit. */
function checkTimeTravel(): void {
  const full = new DashboardModel({ mode: 'live', servers: [], historyLimit: 5_000 }, 8);
  for (const message of fed) full.apply(message);
  const history = full.history;
  expect(history.start).toBe(0);
  expect(history.end).toBe(model.history.end);
  const records = history.slice(0, history.end).map((entry) => entry.message);
  expect(records.length).toBeGreaterThan(40);
  for (let n = 0; n < history.end; n++) {
    expect(statesOf(history.worldAt(n))).toEqual(naiveStates(records.slice(0, n + 1)));
  }
  expect(statesOf(model.history.worldAt(history.end - 2)))
    .toEqual(naiveStates(records.slice(0, -1)));
  expect(statesOf(history.live)).toEqual(naiveStates(records));

  const short = new DashboardModel({ mode: 'live', servers: [], historyLimit: 30 }, 8);
  for (const message of fed) short.apply(message);
  expect(short.history.size).toBe(30);
  expect(short.history.start).toBe(history.end - 30);
  for (let n = short.history.start; n < short.history.end; n++) {
    expect(statesOf(short.history.worldAt(n), false)).toEqual(statesOf(history.worldAt(n), false));
  }
}

/** The same records written as a simulator trace (header, hellos, records, marks) replay in
 * trace mode step by step to the same picture, and the violation mark is found. */
function checkTrace(): void {
  const records = fed.filter((message) => message.kind !== 'figures' &&
    message.kind !== 'source');
  const middle = Math.floor(records.length / 2);
  const lines = [
    { kind: 'trace', version: 1, seed: 7, flags: ['--seed', '7'], replicas: ['1', '2', '3'] },
    ...records.slice(0, middle),
    { kind: 'mark', seq: 1, time: 5, mark: 'fault', text: 'crash replica 1' },
    ...records.slice(middle),
    { kind: 'mark', seq: 2, time: 9, mark: 'violation', text: 'two leaders in epoch 3' },
  ];
  const text = `${lines.map((line) => JSON.stringify(line)).join('\n')}\nnot json\n`;
  const trace = new DashboardModel({ mode: 'trace', servers: [], historyLimit: 10 });
  loadTrace(trace, text);
  expect(trace.refused).toBe(1);
  expect(trace.trace?.seed).toBe(7);
  expect(trace.history.start).toBe(0);
  expect(trace.history.size).toBe(model.history.size + 2);
  const violation = trace.violation();
  expect(violation?.mark.text).toBe('two leaders in epoch 3');
  expect(violation?.entry.n).toBe(trace.history.end - 1);
  expect(statesOf(trace.history.worldAt(trace.history.end - 1)))
    .toEqual(statesOf(model.history.live));
  // One step back from the end is the picture before the last record.
  const steps = trace.history.slice(0, trace.history.end).map((entry) => entry.message);
  expect(statesOf(trace.history.worldAt(trace.history.end - 3)))
    .toEqual(naiveStates(steps.slice(0, -2)));
}
