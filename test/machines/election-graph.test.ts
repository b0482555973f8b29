// Model-based check of the election machine with xstate/graph: from a voter's and an
// observer's start, every state is reachable through some sequence of notifications and timer
// expiries, and every transition of the definition is taken from some reachable state.
import { describe, expect, it } from 'vitest';
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import {
  electionMachine,
  type ElectionEvent,
  type ElectionInput,
  type ElectionSnapshot,
} from '../../machines/election.js';
import type { PeerState } from '../../protocol/peer.js';

const voterInput: ElectionInput = {
  myId: 2,
  voters: [1, 2, 3],
  lastZxid: 100,
  currentEpoch: 1,
  lastRound: 1,
};
const observerInput: ElectionInput = { ...voterInput, myId: 4 };

function notify(from: number, leaderId: number, round: number, state: PeerState): ElectionEvent {
  return {
    type: 'peer.notification',
    from,
    notification: {
      type: 'notification',
      vote: { leaderId, zxid: 100, peerEpoch: 1 },
      round,
      state,
    },
  };
}

// Rounds 1 (earlier), 2 (ours: lastRound + 1) and 3 (later); votes worse and better than 2's;
// settled peers in and out of our round; an observer; a vote for a non-voter.
type TraversalEvent = ElectionEvent | { type: `xstate.after.${string}` };
const events: TraversalEvent[] = [
  notify(1, 1, 2, 'looking'),
  notify(3, 3, 2, 'looking'),
  notify(1, 3, 2, 'looking'),
  notify(3, 3, 3, 'looking'),
  notify(1, 1, 1, 'looking'),
  notify(4, 4, 2, 'looking'),
  notify(1, 4, 2, 'looking'),
  notify(3, 3, 2, 'observing'),
  notify(1, 2, 2, 'following'),
  notify(1, 3, 7, 'following'),
  notify(3, 3, 7, 'leading'),
  { type: 'peer.connected', peer: 3 },
  { type: 'xstate.after.notificationTimeout.election.looking.collecting' },
  { type: 'xstate.after.finalizeWait.election.looking.finalizing' },
];

// The resend interval does not affect any guard, so it is left out of the state's identity.
const serializeState = (snapshot: ElectionSnapshot) => {
  const { value, context } = snapshot;
  const { round, proposal, votesInRound, votesOutOfElection, decided } = context;
  return JSON.stringify([value, round, proposal, votesInRound, votesOutOfElection, decided]);
};

function pathsFrom(input: ElectionInput) {
  return getShortestPaths(electionMachine, {
    input,
    events: events as ElectionEvent[],
    serializeState,
  });
}

describe('election machine graph', () => {
  const paths = [...pathsFrom(voterInput), ...pathsFrom(observerInput)];
  const nodes = getStateNodes(electionMachine.root);

  it('reaches every atomic and final state (voter and observer)', () => {
    const leafIds = nodes
      .filter((node: AnyStateNode) => node.type === 'atomic' || node.type === 'final')
      .map((node: AnyStateNode) => node.path.join('.'));
    const reachedIds = new Set(
      paths.flatMap((path) => path.state._nodes.map((node: AnyStateNode) => node.path.join('.'))),
    );
    expect(leafIds.length).toBe(7);
    // The transient states are passed through within a step: seen as the source of the next.
    const transient = ['looking.tallying', 'deciding'];
    for (const id of leafIds.filter((leaf) => !transient.includes(leaf))) {
      expect(reachedIds, `state ${id} unreachable`).toContain(id);
    }
  });

  it('takes every event transition of the definition from some reachable state', () => {
    const all = nodes.flatMap((node: AnyStateNode) => [...node.transitions.values()].flat());
    const taken = new Set<AnyTransitionDefinition>();
    for (const { state } of paths) {
      if (state.status !== 'active') continue;
      for (const event of events) {
        for (const transition of electionMachine.getTransitionData(state, event as ElectionEvent)) {
          taken.add(transition);
        }
      }
    }
    const describe = (transition: AnyTransitionDefinition) =>
      `${transition.source.id} ${transition.eventType} [${String(transition.guard ?? '')}]`;
    expect(all.filter((transition) => !taken.has(transition)).map(describe)).toEqual([]);
    expect(all.length).toBe(15);
  });

  // Eventless transitions run inside a step: check each one's source and target are seen
  // before and after some step, and that the right final state follows `deciding`.
  it('takes every always transition', () => {
    const always = nodes.flatMap((node: AnyStateNode) => node.always ?? []);
    const steps = paths.flatMap((path) =>
      path.steps.map((step, index) => ({
        before: path.steps[index - 1]?.state,
        after: step.state,
      })),
    );
    for (const transition of always) {
      const target = transition.target?.[0] as AnyStateNode;
      // Both transient states (tallying, deciding) are only ever entered from looking.
      const seen = steps.some(
        ({ before, after }) =>
          (before === undefined || before.matches('looking')) &&
          after._nodes.includes(target) &&
          guardHolds(transition, after),
      );
      expect(seen, `${transition.source.id} always → ${target.id}`).toBe(true);
    }
    expect(always.length).toBe(5);
  });

  it('ends only by deciding, with the decision in its output', () => {
    const finals = paths.filter((path) => path.state.status === 'done');
    expect(new Set(finals.map((path) => path.state.value))).toEqual(
      new Set(['leading', 'following', 'observing']),
    );
    for (const { state } of finals) {
      expect(state.output).toMatchObject({ role: state.value });
    }
  });
});

/** The state a step ended in agrees with the branch of `always` that targets it. */
function guardHolds(transition: AnyTransitionDefinition, after: ElectionSnapshot): boolean {
  const guard = String(transition.guard ?? '');
  if (guard === 'hasQuorumForProposal') return after.matches({ looking: 'finalizing' });
  if (guard === '' && transition.source.id === 'election.looking.tallying') {
    return after.matches({ looking: 'collecting' });
  }
  return true;
}
