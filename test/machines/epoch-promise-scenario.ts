// A replica that promised an epoch above the leader's (its acceptedEpoch, from a prospective
// leadership that never gathered a quorum of ACKEPOCH) rejoining an established ensemble: the
// regression behind simulator seeds 301532 (with an observer) and 400190 (5 voters).
import { peerEventOf } from '../../machines/replica.js';
import { peerProtocolVersion } from '../../protocol/peer.js';
import { Cluster } from '../../sim/cluster.js';
import { leafPathsOf } from '../../sim/replica-host.js';

export interface EpochPromiseRun {
  cluster: Cluster;
  /** The leader's epoch before the replica with the higher promise came back. */
  epochBefore: number;
  /** The leaf states the returning replica went through while its epoch was refused. */
  refusedStates: string[];
}

/**
 * Replicas 2 and 3 (and observer 4, when asked) establish epoch 1; then `returning`, whose
 * storage says acceptedEpoch `promised`, starts. A stale LEADERINFO of the old epoch reaches it
 * while it waits for the leader's answer; then everything is delivered until the ensemble settles.
 */
export async function runEpochPromise(
  returning: number,
  promised: number,
  observers: number[] = [],
): Promise<EpochPromiseRun> {
  const cluster = new Cluster({ voters: [1, 2, 3], observers });
  await cluster.seedAcceptedEpoch(returning, promised);
  for (const id of cluster.members) if (id !== returning) await cluster.start(id);
  await cluster.stabilize();
  const leaderId = cluster.leaderId()!;
  const epochBefore = cluster.replica(leaderId).role.epoch;
  await cluster.start(returning);
  const replica = cluster.replica(returning);
  const waiting = () =>
    leafPathsOf(replica.actor.getSnapshot().value).some((path) =>
      path.endsWith('phase.discovery.awaitingLeaderInfo'),
    );
  for (let deliveries = 0; !waiting() && deliveries < 1_000; deliveries++) {
    if (!cluster.network.deliverNext()) break;
  }
  const leaderInfo = {
    type: 'leaderInfo',
    newEpoch: epochBefore,
    protocolVersion: peerProtocolVersion,
  } as const;
  replica.send(peerEventOf(leaderId, leaderInfo));
  const refusedStates = leafPathsOf(replica.actor.getSnapshot().value);
  return { cluster, epochBefore, refusedStates };
}
