// The dashboard's model without a network: charts read from the catalogue's real definitions
// (as `corral machines` exports them) agree with XState's own state nodes; a notification as the
// stream shows it yields its vote; time travel over a 5000-event history stays fast and exact.
import type { AnyStateMachine, StateNode } from 'xstate';
import { describe, expect, it } from 'vitest';
import { streamEventOf } from '../../actors/inspection/machine-events-records.js';
import { activeStateIds, chartOf, nodesById } from '../../dashboard/model/chart.js';
import { DashboardModel } from '../../dashboard/model/dashboard-model.js';
import { summarize } from '../../dashboard/model/ensemble.js';
import { voteOf } from '../../dashboard/model/world.js';
import { machineDefinitionJson } from '../../machines/definition-json.js';
import { machineCatalog } from '../../machines/index.js';
import type { StreamHello, StreamTransition } from '../../protocol/machine-stream.js';
import { statesOf } from './replay.js';

function xstateNodes(machine: AnyStateMachine): StateNode[] {
  const found: StateNode[] = [];
  const visit = (node: StateNode): void => {
    found.push(node);
    for (const child of Object.values(node.states)) visit(child as StateNode);
  };
  visit(machine.root as StateNode);
  return found;
}

const definitions = Object.fromEntries(machineCatalog.map((entry) =>
  [entry.name, JSON.parse(machineDefinitionJson(entry.machine)) as unknown]));

describe('charts from the catalogue definitions', () => {
  it.each(machineCatalog.map((entry) => [entry.name, entry.machine] as const))(
    '%s: the same state nodes as XState, with its transitions', (_name, machine) => {
      const chart = chartOf(JSON.parse(machineDefinitionJson(machine)))!;
      const nodes = nodesById(chart);
      const expected = xstateNodes(machine);
      expect([...nodes.keys()].sort()).toEqual(expected.map((node) => node.id).sort());
      for (const node of expected) {
        const drawn = nodes.get(node.id)!;
        expect(drawn.type).toBe(node.type);
        expect(drawn.children.map((child) => child.key))
          .toEqual(Object.keys(node.states));
        // Every target a chip names is a state node of the chart.
        for (const transition of drawn.transitions) {
          for (const target of transition.targets) expect(nodes.has(target)).toBe(true);
        }
        const events = new Set(node.transitions.keys());
        for (const transition of drawn.transitions) {
          expect(events.has(transition.event)).toBe(true);
        }
      }
    });

  it('lights a parallel state and every region of it', () => {
    const active = activeStateIds('replica', { following: { phase: 'broadcast',
      liveness: 'ticking' } });
    expect([...active].sort()).toEqual(['replica', 'replica.following',
      'replica.following.liveness', 'replica.following.liveness.ticking',
      'replica.following.phase', 'replica.following.phase.broadcast']);
  });
});

describe('votes', () => {
  it('reads the candidate from a notification as the stream shows it', () => {
    const event = streamEventOf({
      type: 'peer.notification', from: 2,
      notification: { type: 'notification', vote: { leaderId: 3, zxid: 0x100000002n,
        peerEpoch: 1 }, round: 4, state: 'looking' },
    } as { type: string });
    expect(voteOf(event)).toEqual({
      from: '2', leader: '3', zxid: String(0x100000002n), peerEpoch: '1', round: '4',
      state: 'looking',
    });
    expect(voteOf(streamEventOf({ type: 'peer.ping', from: 2 } as { type: string })))
      .toBeUndefined();
  });
});

/** `count` transitions of replica machines walking the real chart's transitions in turn. */
function walk(count: number): StreamTransition[] {
  const chart = chartOf(definitions.replica)!;
  const moves = [...nodesById(chart).values()].flatMap((node) =>
    node.transitions.filter((transition) => transition.targets.length === 1)
      .map((transition) => ({ source: node.id, transition })));
  const records: StreamTransition[] = [];
  for (let index = 0; index < count; index++) {
    const move = moves[index % moves.length]!;
    const target = move.transition.targets[0]!;
    const path = target.split('.').slice(1);
    const state = path.reduceRight<string | Record<string, unknown>>(
      (inner, key) => inner === '' ? key : { [key]: inner }, '');
    records.push({
      kind: 'transition', seq: index + 10, time: index, replica: String(1 + (index % 3)),
      actor: '1', event: { type: move.transition.event },
      transitions: [{ source: move.source, targets: [target] }],
      state: state as StreamTransition['state'],
    });
  }
  return records;
}

describe('time travel over a full history', () => {
  it('keeps 5000 events and rebuilds any moment of them in well under a frame', () => {
    const model = new DashboardModel({ mode: 'live', servers: [], historyLimit: 5_000 });
    const unbounded = new DashboardModel({ mode: 'live', servers: [], historyLimit: 100_000 });
    for (const id of ['1', '2', '3']) {
      const hello: StreamHello = { kind: 'hello', version: 1, replica: id, time: 0,
        bufferLimit: 2_000, machines: definitions };
      const actor = { kind: 'actor', seq: 1, time: 0, replica: id, actor: '1',
        machine: 'replica', label: `replica ${id}`, state: { looking: 'notServing' } } as const;
      for (const target of [model, unbounded]) {
        target.apply(hello);
        target.apply(actor);
      }
    }
    const records = walk(20_000);
    const fedAt = performance.now();
    for (const record of records) model.apply(record);
    const feedMs = performance.now() - fedAt;
    for (const record of records) unbounded.apply(record);
    const history = model.history;
    expect(history.size).toBe(5_000);
    expect(history.end).toBe(20_003);

    const positions = Array.from({ length: 500 }, (_, index) =>
      history.start + ((index * 7919) % history.size));
    const travelAt = performance.now();
    for (const n of positions) history.worldAt(n);
    const travelMs = (performance.now() - travelAt) / positions.length;
    for (const n of positions.slice(0, 50)) {
      expect(statesOf(history.worldAt(n))).toEqual(statesOf(unbounded.history.worldAt(n)));
    }
    const summary = summarize(model, history.worldAt(positions[0]!), false);
    expect(summary.replicas.map((replica) => replica.id)).toEqual(['1', '2', '3']);
    // Budgets far above what a laptop needs (a shared 2-core machine stalls at times).
    expect(feedMs).toBeLessThan(3_000);
    expect(travelMs).toBeLessThan(10);
    console.log(`fed 20000 records in ${feedMs.toFixed(0)} ms; ` +
      `a moment rebuilt in ${travelMs.toFixed(3)} ms on average`);
  });
});
