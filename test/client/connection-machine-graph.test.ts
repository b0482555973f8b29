// Model-based check of the client connection machine with xstate/graph: every state is reachable
// by host events, actor outcomes and timer expiries; every transition is taken; and `expired` is
// entered only by the routes the design names (server verdict, local timer, reconnect refused).

import { describe, expect, it } from 'vitest';
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import {
  clientConnectionMachine,
  type ClientConnectionEvent,
  type ClientConnectionSnapshot,
} from '../../machines/client-connection.js';

const established = {
  sessionId: 7n,
  password: Buffer.alloc(16),
  negotiatedTimeoutMs: 4_000,
  readOnly: false,
};
type TraversalEvent =
  | ClientConnectionEvent
  | { type: 'xstate.done.actor.openConnection'; output: typeof established }
  | { type: 'xstate.error.actor.openConnection'; error: { code: number } }
  | { type: 'xstate.done.actor.closeSession' | 'xstate.error.actor.closeSession' }
  | { type: 'xstate.done.actor.probeServer'; output: string }
  | { type: 'xstate.error.actor.probeServer'; error: Error }
  | { type: 'xstate.done.actor.probeSiteServer'; output: string }
  | { type: 'xstate.error.actor.probeSiteServer'; error: Error }
  | { type: `xstate.after.${string}` };
const events: TraversalEvent[] = [
  { type: 'connection.lost' },
  { type: 'connection.lost', silentMs: 3_000 },
  { type: 'session.expired' },
  { type: 'authentication.failed' },
  { type: 'client.close' },
  { type: 'xstate.done.actor.openConnection', output: established },
  { type: 'xstate.done.actor.openConnection', output: { ...established, readOnly: true } },
  { type: 'xstate.error.actor.openConnection', error: { code: -4 } },
  { type: 'xstate.error.actor.openConnection', error: { code: -112 } },
  { type: 'xstate.done.actor.closeSession' },
  { type: 'xstate.error.actor.closeSession' },
  { type: 'xstate.done.actor.probeServer', output: 'rw' },
  { type: 'xstate.done.actor.probeServer', output: 'ro' },
  { type: 'xstate.error.actor.probeServer', error: new Error('refused') },
  { type: 'xstate.done.actor.probeSiteServer', output: 'rw' },
  { type: 'xstate.done.actor.probeSiteServer', output: 'ro' },
  { type: 'xstate.error.actor.probeSiteServer', error: new Error('refused') },
  { type: 'xstate.after.readWriteProbe.clientConnection.connected.readOnly.waiting' },
  { type: 'xstate.after.siteProbe.clientConnection.connected.awayFromSite.waiting' },
  { type: 'xstate.after.reconnectBackoff.clientConnection.connecting.waiting' },
  { type: 'xstate.after.reconnectBackoff.clientConnection.suspended.waiting' },
  { type: 'xstate.after.sessionTimeout.clientConnection.suspended' },
  { type: 'xstate.after.closeTimeout.clientConnection.closing' },
];

// Context holds a bigint, a Buffer and unbounded counters: the state value, the session identity,
// whether a read-write server was ever seen, the server in use (own site or not) and the site
// probe's turn are what distinguish states here.
const serializeState = (snapshot: ClientConnectionSnapshot) =>
  JSON.stringify([
    snapshot.value,
    String(snapshot.context.sessionId),
    snapshot.context.readOnly,
    snapshot.context.seenReadWriteServer,
    snapshot.context.serverIndex,
    snapshot.context.siteProbeIndex,
  ]);

describe('client connection machine graph', () => {
  const paths = getShortestPaths(clientConnectionMachine, {
    input: {
      // Two servers of the client's site and one elsewhere: the site probe has a next server.
      servers: [
        { host: 'a', port: 1, site: 'here' },
        { host: 'b', port: 2, site: 'here' },
        { host: 'c', port: 3, site: 'there' },
      ],
      siteServerCount: 2,
      siteProbeIntervalMs: 1_000,
      requestedTimeoutMs: 5_000,
      canBeReadOnly: true,
      reconnectBackoffMsBase: 10,
      reconnectBackoffMsMax: 100,
      closeTimeoutMs: 1_000,
    },
    events: events as ClientConnectionEvent[],
    serializeState,
    serializeEvent: (event) =>
      JSON.stringify(event, (_key, value: unknown) =>
        typeof value === 'bigint' ? String(value) : value,
      ),
  });

  it('reaches every atomic and final state', () => {
    const leafIds = getStateNodes(clientConnectionMachine.root)
      .filter((node: AnyStateNode) => node.type === 'atomic' || node.type === 'final')
      .map((node: AnyStateNode) => node.path.join('.'));
    const reached = new Set(
      paths.flatMap((path) => path.state._nodes.map((node: AnyStateNode) => node.path.join('.'))),
    );
    expect(leafIds.sort()).toEqual([
      'authFailed', 'closed', 'closing', 'connected.awayFromSite.probing',
      'connected.awayFromSite.waiting', 'connected.choosing', 'connected.readOnly.probing',
      'connected.readOnly.waiting', 'connected.readWrite', 'connecting.opening',
      'connecting.waiting', 'expired', 'suspended.opening', 'suspended.waiting',
    ]);
    // `choosing` is transient (left by `always` within the step that enters it).
    for (const id of leafIds.filter((leaf) => leaf !== 'connected.choosing')) {
      expect(reached, `state ${id} unreachable`).toContain(id);
    }
  });

  it('takes every transition of the definition from some reachable state', () => {
    const nodes = getStateNodes(clientConnectionMachine.root);
    const all = nodes.flatMap((node: AnyStateNode) => [...node.transitions.values()].flat());
    const taken = new Set<AnyTransitionDefinition>();
    for (const { state } of paths) {
      if (state.status !== 'active') continue;
      for (const event of events) {
        const typed = event as ClientConnectionEvent;
        const data = clientConnectionMachine.getTransitionData(state, typed);
        for (const transition of data) taken.add(transition);
      }
    }
    const name = (transition: AnyTransitionDefinition) =>
      `${transition.source.id} ${transition.eventType} [${String(transition.guard ?? '')}]`;
    expect(all.filter((transition) => !taken.has(transition)).map(name)).toEqual([]);
  });

  it('enters expired only by a server verdict, a refused reconnect or the local timer', () => {
    const routes = new Set(
      paths
        .filter((path) => path.state.value === 'expired')
        .map((path) => {
          const last = path.steps.at(-1)?.event as { type: string; error?: { code: number } };
          return last.error === undefined ? last.type : `${last.type} ${last.error.code}`;
        }),
    );
    for (const route of routes) {
      expect([
        'session.expired',
        'xstate.error.actor.openConnection -112',
        'xstate.after.sessionTimeout.clientConnection.suspended',
      ]).toContain(route);
    }
    // Every transition into expired, whichever path reaches it first.
    const nodes = getStateNodes(clientConnectionMachine.root);
    const intoExpired = nodes
      .flatMap((node: AnyStateNode) => [...node.transitions.values()].flat())
      .filter((transition) => transition.target?.some((target) => target.key === 'expired'))
      .map((transition) => `${transition.source.path.join('.')} ${transition.eventType}`);
    expect(intoExpired.sort()).toEqual([
      'connected session.expired',
      'connecting.opening xstate.error.actor.openConnection',
      'suspended xstate.after.sessionTimeout.clientConnection.suspended',
      'suspended.opening xstate.error.actor.openConnection',
    ]);
  });
});
