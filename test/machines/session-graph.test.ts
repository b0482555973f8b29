// Model-based check of the session machine with xstate/graph: every state is reachable from the
// initial one by some sequence of host events and timer expiries, and every transition is taken.
import { describe, expect, it } from 'vitest';
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import { sessionMachine, type SessionEvent, type SessionSnapshot } from '../../machines/session.js';

// Two connections are enough to reach takeover and stale-connection branches. An explicit event
// list replaces the traversal's defaults, so the timer expiries (XState's delayed-event types,
// `xstate.after.<delay>.<state id>`) are listed too.
type TraversalEvent = SessionEvent | { type: `xstate.after.sessionTimeout.session.${string}` };
const events: TraversalEvent[] = [1, 2].flatMap((connectionId): TraversalEvent[] => [
  { type: 'client.connected', connectionId },
  { type: 'client.touch', connectionId },
  { type: 'client.disconnected', connectionId },
  { type: 'client.close', connectionId },
]);
events.push(
  { type: 'tree.sessionClosed' },
  { type: 'peer.touch' },
  { type: 'replica.expiryOwner', expiresHere: false },
  { type: 'replica.expiryOwner', expiresHere: true },
  { type: 'xstate.after.sessionTimeout.session.handshake' },
  { type: 'xstate.after.sessionTimeout.session.live' },
);

// The default serialiser JSON-encodes context, which cannot hold the bigint session id.
const serializeState = (snapshot: SessionSnapshot) =>
  JSON.stringify([
    snapshot.value,
    snapshot.context.connectionId,
    snapshot.context.expiresHere,
  ]);

describe('session machine graph', () => {
  const paths = getShortestPaths(sessionMachine, {
    input: {
      sessionId: 1n,
      requestedTimeoutMs: 6_000,
      limits: { tickTimeMs: 2_000 },
      connectionId: 1,
    },
    events: events as SessionEvent[],
    serializeState,
  });

  it('reaches every atomic and final state', () => {
    const leafIds = getStateNodes(sessionMachine.root)
      .filter((node: AnyStateNode) => node.type === 'atomic' || node.type === 'final')
      .map((node: AnyStateNode) => node.path.join('.'));
    const reachedIds = new Set(
      paths.flatMap((path) => path.state._nodes.map((node: AnyStateNode) => node.path.join('.'))),
    );
    expect(leafIds.length).toBe(7);
    for (const id of leafIds) expect(reachedIds, `state ${id} unreachable`).toContain(id);
  });

  it('takes every transition of the definition from some reachable state', () => {
    const nodes = getStateNodes(sessionMachine.root);
    const all = nodes.flatMap((node: AnyStateNode) => [...node.transitions.values()].flat());
    const taken = new Set<AnyTransitionDefinition>();
    for (const { state } of paths) {
      if (state.status !== 'active') continue;
      for (const event of events) {
        for (const transition of sessionMachine.getTransitionData(state, event as SessionEvent)) {
          taken.add(transition);
        }
      }
    }
    const describe = (transition: AnyTransitionDefinition) =>
      `${transition.source.id} ${transition.eventType} [${String(transition.guard ?? '')}]`;
    expect(all.filter((transition) => !taken.has(transition)).map(describe)).toEqual([]);
    expect(all.length).toBe(23);
  });

  // Eventless transitions are taken inside a step: seen as the step's source and target states.
  it('takes every always transition', () => {
    const nodes = getStateNodes(sessionMachine.root);
    const always = nodes.flatMap((node: AnyStateNode) => node.always ?? []);
    const steps = paths.flatMap((path) =>
      path.steps.map((step, index) => ({
        before: path.steps[index - 1]?.state,
        after: step.state,
      })),
    );
    for (const transition of always) {
      const target = transition.target?.[0] as AnyStateNode;
      const seen = steps.some(
        ({ before, after }) =>
          before?._nodes.includes(transition.source) && after._nodes.includes(target),
      );
      expect(seen, `${transition.source.id} always → ${target.id}`).toBe(true);
    }
    expect(always.length).toBe(1);
  });

  it('reaches expiring only through the session timer', () => {
    const routesToExpiring = paths
      .filter((path) => path.state.value === 'expiring')
      .map((path) => path.steps.at(-1)?.event.type);
    expect(routesToExpiring.length).toBeGreaterThan(0);
    for (const lastEvent of routesToExpiring) expect(lastEvent).toMatch(/^xstate\.after\./);
  });
});
