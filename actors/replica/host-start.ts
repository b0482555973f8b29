// How a replica host starts: the logged state recovered into the server core (with the startup
// figures), then the machine's input (ReplicaInput: what storage holds, the membership, zoo.cfg's
// options) and its actor, created with the host as its effect performer (the host starts it).
import { createActor, type Actor } from 'xstate';
import { describeQuorumRule, type QuorumRule } from '../../machines/quorum.js';
import type { ReplicaInput } from '../../machines/replica-context.js';
import { replicaMachine, type ReplicaEvent } from '../../machines/replica.js';
import type { ServerId } from '../../protocol/peer.js';
import { hex } from '../../protocol/zxid.js';
import type { ReplicaStorage } from '../../storage/replica-storage.js';
import type { RestoredSnapshot } from '../../storage/recovery.js';
import { completeDigestInBackground } from '../server/background-digest.js';
import { recordStartup, storageTimingsFor } from '../server/statistics.js';
import type { ServerCore } from '../server/server-core.js';
import type { DataTree } from '../../tree/data-tree.js';
import {
  hostedMachine,
  registerPerformer,
  type EffectPerformer,
  type ReplicaMachine,
} from './effects.js';
import type { HostConfiguration } from './host-configuration.js';
import type { HostMembership } from './host-membership.js';
import type { ReplicaHostOptions } from './host-options.js';
import type { ReplicaLogHost } from './log.js';
import type { ReplicaWorld } from './world.js';

/**
 * Recovers the logged state into `core` (the newest snapshot, then every logged txn, committed
 * or not, as ZooKeeper replays its log); the startup figures and storage timings go to its
 * metrics.
 */
export async function recoverLoggedState(core: ServerCore, storage: ReplicaStorage):
  Promise<{ restored: RestoredSnapshot | undefined; replayed: number }> {
  const metrics = core.statistics.metrics;
  const startedAt = performance.now();
  const restored = await storage.restoreInto(core.tree);
  const restoredAt = performance.now();
  const replayed = core.recover(storage, false);
  recordStartup(metrics, { snapshotMs: restoredAt - startedAt, txns: replayed,
    txnsMs: performance.now() - restoredAt });
  storage.observeTimings(storageTimingsFor(metrics));
  return { restored, replayed };
}

/** What the replica's log (ReplicaLog) asks of the host: the server core's tree, and the
 * machine to notify. */
export function replicaLogHost(
  core: ServerCore,
  configuration: HostConfiguration,
  world: ReplicaWorld,
  notify: (event: ReplicaEvent) => void,
  restoredTree: ReplicaLogHost['restoredTree'],
): ReplicaLogHost {
  return {
    notify,
    restoredTree,
    emptyTree: () => core.emptyTree(),
    // A SNAP may carry a reconfig its leader has not committed yet (it snapshots its tree
    // while synchronizing): its configuration is adopted once this replica serves, when the
    // tree is committed state (found by the simulator with reconfig: seed 3162).
    replaceTree: (tree: DataTree) => {
      configuration.initConfigNode(tree);
      core.replaceTree(tree);
    },
    currentTree: () => core.tree,
    completeDigestLater: (tree: DataTree) => {
      void completeDigestInBackground(tree, (work) => world.nextTurn(work),
        () => core.tree === tree);
    },
    fail: (error: unknown) => world.fail(error),
  };
}

/** The machine's input as the replica (re)starts: the logged state and the configuration. */
export function replicaInputOf(
  myId: ServerId,
  membership: HostMembership,
  options: ReplicaHostOptions,
  storage: ReplicaStorage,
  treeLastZxid: number,
): ReplicaInput {
  return {
    myId,
    voters: membership.voters,
    quorum: membership.quorum,
    ...membership.machineInput(),
    standaloneEnabled: options.standaloneEnabled ?? true,
    ...(options.protocolVersion === undefined
      ? {}
      : { protocolVersion: options.protocolVersion }),
    acceptedEpoch: storage.epochs.acceptedEpoch(),
    currentEpoch: storage.epochs.currentEpoch(),
    lastZxid: Math.max(storage.lastZxid(), treeLastZxid),
    firstZxid: storage.firstZxid(),
    epochEnds: storage.epochEnds(),
    timing: options.timing,
    readOnlyModeEnabled: options.readOnlyModeEnabled ?? false,
    treeBroadcast: options.treeBroadcast ?? true,
    treeBroadcastDirectAcks: options.treeBroadcastDirectAcks ?? true,
    siteSync: options.siteSync ?? true,
    ...(options.electionTiming === undefined
      ? {}
      : { electionTiming: options.electionTiming }),
  };
}

/** The log line a replica starts with: whom it is, how its voters count, what it holds. */
export function logReplicaStarting(
  logger: ReplicaWorld['logger'],
  input: ReplicaInput,
  quorumRule: QuorumRule,
): void {
  const { acceptedEpoch, currentEpoch } = input;
  const zxid = hex(input.lastZxid);
  const quorum = describeQuorumRule(quorumRule);
  const starting = { myId: input.myId, quorum, zxid, acceptedEpoch, currentEpoch };
  logger.info(starting, 'replica starting: looking for a leader');
}

/** The replica machine's actor (the real machine or the option's variant), its effects
 * performed by `performer`, told to the option's tracker; not started. */
export function createReplicaActor(
  options: ReplicaHostOptions,
  input: ReplicaInput,
  clock: ReplicaWorld['clock'],
  performer: EffectPerformer,
): Actor<ReplicaMachine> {
  const inspect = options.inspect;
  const actor = createActor(hostedMachine(options.machine ?? replicaMachine), {
    input,
    clock,
    ...(inspect === undefined ? {} : { inspect }),
  });
  registerPerformer(actor, performer);
  options.trackActor?.(actor);
  return actor;
}
