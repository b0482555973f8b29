// Reachability of the replica machine: xstate/graph lists every leaf state of the definition, and
// seeded cluster runs (3 voters + 1 observer, crashes, restarts, sync of every kind), one
// scripted run for a rare state and the transcripts of test/scenarios must visit each of them
// on some replica. A state no run reaches is dead chart or a missing scenario.
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { replicaMachine } from '../../machines/replica.js';
import { Cluster } from '../../sim/cluster.js';
import { runRandomSchedule } from '../../sim/schedule.js';
import { visitedLeafPaths } from '../scenarios/replay.js';
import { runEpochPromise } from './epoch-promise-scenario.js';

/** A state left at once by an unguarded eventless transition is never in a snapshot. */
function isTransient(node: AnyStateNode): boolean {
  return (node.always ?? []).some((transition) => transition.guard === undefined);
}

function leafPaths(): string[] {
  return getStateNodes(replicaMachine.root)
    .filter((node: AnyStateNode) => node.type === 'atomic' || node.type === 'final')
    .filter((node: AnyStateNode) => !isTransient(node))
    .map((node: AnyStateNode) => node.path.join('.'))
    .sort();
}

describe('replica machine graph', () => {
  it('has the Zab server states and phases as its states', () => {
    expect(leafPaths()).toEqual(
      expect.arrayContaining([
        'looking.notServing',
        'looking.readOnly',
        'leading.phase.discovery.collectingFollowerInfo',
        'leading.phase.synchronization',
        'leading.phase.broadcast',
        'following.phase.synchronization.acknowledgingNewLeader',
        'following.phase.broadcast',
        'observing.phase.broadcast',
      ]),
    );
  });

  it('reaches every leaf state in seeded runs (3 voters, 1 observer) and transcripts', async () => {
    const visited = new Set<string>();
    for (let seed = 1; seed <= 6; seed++) {
      const cluster = new Cluster({ voters: [1, 2, 3], observers: [4], seed });
      await cluster.startAll();
      await cluster.stabilize();
      await runRandomSchedule(cluster, { steps: 2_000 });
      for (const id of cluster.members) {
        if (!cluster.running().includes(id)) continue;
        for (const path of cluster.replica(id).visited) visited.add(path);
      }
      for (const replica of cluster.retired) for (const path of replica.visited) visited.add(path);
    }
    // A stale LEADERINFO below a returning replica's promise: rare in random runs, so scripted.
    for (const [id, observers] of [[1, []], [4, [4]]] as const) {
      const run = await runEpochPromise(id, 7, [...observers]);
      for (const path of run.refusedStates) visited.add(path);
    }
    // A state reached only by a transcript (test/scenarios/*.txt) counts too.
    for (const path of visitedLeafPaths()) visited.add(path);
    expect(leafPaths().filter((path) => !visited.has(path))).toEqual([]);
  });
});
