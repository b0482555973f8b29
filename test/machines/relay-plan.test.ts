// Tree broadcast's pure rules: who relays for which site (relayPlanOf), how long a follower may
// lag before it leaves the plan (lagTicksMax), and what the leader sends along the plan's paths
// (sendAlongPaths): one RELAY per relay, direct frames for everyone else.
import { describe, expect, it } from 'vitest';
import { lagTicksMax, relayPlanOf } from '../../machines/leading/relay-plan.js';
import { sendAlongPaths } from '../../machines/leading/relaying.js';
import { freshLeaderState } from '../../machines/leading/learners.js';
import type { LeaderState, LearnerProgress } from '../../machines/replica-context.js';

const sites = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'b', 6: 'c', 7: 'c', 8: 'd' };

describe('relayPlanOf', () => {
  it.each([
    // leader, synced followers, unfit, expected [follower, relay] pairs
    { leader: 1, synced: [2, 3, 4, 5], unfit: [], plan: [[4, 3], [5, 3]] },
    { leader: 3, synced: [1, 2, 4, 5], unfit: [], plan: [[2, 1]] },
    { leader: 1, synced: [2, 3, 4, 5, 6, 7, 8], unfit: [], plan: [[4, 3], [5, 3], [7, 6]] },
    // The lowest relays; an unfit one is neither relay nor relayed to.
    { leader: 1, synced: [2, 3, 4, 5], unfit: [3], plan: [[5, 4]] },
    // One fit follower left in a site: direct.
    { leader: 1, synced: [2, 3, 4, 5], unfit: [3, 4], plan: [] },
    // Not yet synced: not counted.
    { leader: 1, synced: [2, 5], unfit: [], plan: [] },
    // A follower without a site, and the leader's own site, stay direct.
    { leader: 6, synced: [1, 2, 7, 9], unfit: [], plan: [[2, 1]] },
  ])('leader $leader, synced $synced, unfit $unfit → $plan', ({ leader, synced, unfit, plan }) => {
    const result = relayPlanOf({ leaderId: leader, sites, synced, unfit: new Set(unfit) });
    expect([...result].sort((first, second) => first[0]! - second[0]!)).toEqual(plan);
  });

  it('relays to observers of a site, through a follower only', () => {
    const plan = (synced: number[], observers: number[]) => [...relayPlanOf({
      leaderId: 1, sites, synced, observers, unfit: new Set(),
    })].sort((first, second) => first[0]! - second[0]!);
    expect(plan([3], [4, 5])).toEqual([[4, 3], [5, 3]]);
    expect(plan([], [4, 5])).toEqual([]);
    expect(plan([3, 6], [7])).toEqual([[7, 6]]);
  });

  it('relays nothing without sites', () => {
    expect(relayPlanOf({ leaderId: 1, sites: undefined, synced: [2, 3, 4], unfit: new Set() }))
      .toEqual(new Map());
  });
});

describe('lagTicksMax', () => {
  it.each([[1, 1], [2, 1], [5, 4], [10, 9]])('syncLimit %i → %i ticks', (syncLimit, ticks) => {
    expect(lagTicksMax(syncLimit)).toBe(ticks);
  });
});

function learner(phase: LearnerProgress['phase']): LearnerProgress {
  return {
    role: 'follower', acceptedEpoch: 1, phase, currentEpoch: 1, lastZxid: 0,
    newLeaderCoversZxid: 0, silentTicks: 0, protocolVersion: 2,
  };
}

describe('sendAlongPaths', () => {
  const commit = { type: 'commit', zxid: 7 } as const;
  const base: LeaderState = {
    ...freshLeaderState(),
    learners: { 2: learner('upToDate'), 3: learner('upToDate'), 4: learner('upToDate'),
      5: learner('upToDate') },
  };

  it('sends one RELAY per relay with confirmed followers, directly to the rest', () => {
    const leader = { ...base, relayPaths: {
      4: { relayId: 3, confirmed: true }, 5: { relayId: 3, confirmed: true } } };
    expect(sendAlongPaths(leader, [2, 3, 4, 5], commit).map((effect) => effect.params))
      .toEqual([
        { to: 2, message: commit },
        { to: 3, message: { type: 'relay', message: commit, to: [4, 5], own: true } },
      ]);
  });

  it('sends directly to a follower unconfirmed on its path, or whose relay is not synced', () => {
    const leader = {
      ...base,
      learners: { ...base.learners, 3: learner('newLeaderSent') },
      relayPaths: { 4: { relayId: 3, confirmed: true }, 5: { relayId: 2, confirmed: false } },
    };
    expect(sendAlongPaths(leader, [4, 5], commit).map((effect) => effect.params)).toEqual([
      { to: 4, message: commit },
      { to: 5, message: commit },
    ]);
  });

  it('relays a SYNC for one follower without the relay taking it itself', () => {
    const leader = { ...base, relayPaths: { 5: { relayId: 4, confirmed: true } } };
    const sync = { type: 'sync', sessionId: 9n, cxid: 1, zxid: 7 } as const;
    expect(sendAlongPaths(leader, [5], sync).map((effect) => effect.params)).toEqual([
      { to: 4, message: { type: 'relay', message: sync, to: [5], own: false } },
    ]);
  });
});
