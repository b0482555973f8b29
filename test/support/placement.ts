// Where the ensemble variants of the interop and differential suites put their sessions: a first
// session on a follower (its writes are forwarded to the leader), a second on the leader and a
// third on the other follower, so watches, ephemerals and session expiry must cross replicas.

import type { ReplicaStatus } from './ensemble.js';

/** What both TestEnsemble (corral) and ZooKeeperEnsemble offer. */
export interface ReplicatedServers {
  readonly ids: number[];
  clientPort(id: number): number;
  status(id: number): Promise<ReplicaStatus>;
  waitForLeader(): Promise<number>;
  followers(): Promise<number[]>;
}

export interface Placement {
  leader: number;
  /** At least two, in id order. */
  followers: number[];
}

const settleAttemptsMax = 50;
const settleIntervalMs = 100;

/**
 * Waits for one leader and every other voter following (a voter can still be syncing when the
 * leader already answers `srvr`), then names the roles.
 */
export async function placeSessions(servers: ReplicatedServers): Promise<Placement> {
  let leader = await servers.waitForLeader();
  let followers: number[] = [];
  for (let attempt = 0; attempt < settleAttemptsMax; attempt++) {
    leader = await servers.waitForLeader();
    followers = await servers.followers();
    if (followers.length >= 2 && !followers.includes(leader)) return { leader, followers };
    await new Promise((resolve) => setTimeout(resolve, settleIntervalMs));
  }
  throw new Error(`no leader with two followers: leader ${leader}, followers ${followers}`);
}

/** The first, second and third session's replica: follower, leader, other follower. */
export function sessionReplicas(placement: Placement): [number, number, number] {
  const [first, other] = placement.followers;
  if (first === undefined || other === undefined) throw new Error('fewer than two followers');
  return [first, placement.leader, other];
}
