// Who leads a simulated cluster: the replica serving as leader, whether every running member
// serves under it, and the Zab rule that an epoch has one leader, checked as roles are announced.
import type { RoleAnnouncement } from '../machines/replica.js';
import type { ServerId } from '../protocol/peer.js';
import { memberIdsOf } from '../protocol/membership.js';
import type { CommitLedger } from './invariants.js';
import type { SimReplica } from './replica-host.js';

/** Records who established leadership of an epoch; a second leader of it is a violation. */
export function recordLeadership(
  leadersByEpoch: Map<number, ServerId>,
  ledger: CommitLedger,
  id: ServerId,
  role: RoleAnnouncement,
): void {
  if (role.state !== 'leading' || !role.serving) return;
  const known = leadersByEpoch.get(role.epoch);
  if (known === undefined) leadersByEpoch.set(role.epoch, id);
  else if (known !== id) {
    ledger.violate(`leadership: replicas ${known} and ${id} both led epoch ${role.epoch}`);
  }
}

/** The replica currently serving as leader, if any (others may still be syncing). */
export function leaderIdOf(replicas: ReadonlyMap<ServerId, SimReplica>): ServerId | undefined {
  const leaders = [...replicas.values()].filter(
    (r) => r.role.state === 'leading' && r.role.serving,
  );
  return leaders.length === 1 ? leaders[0]?.id : undefined;
}

/**
 * The replica serving as leader with every running voter and observer serving under it. With
 * reconfig, the running members of the leader's configuration: a replica outside it (a spare
 * never added, a member removed) has no one to serve under.
 */
export function stableLeaderOf(
  replicas: ReadonlyMap<ServerId, SimReplica>,
  reconfigEnabled: boolean,
): ServerId | undefined {
  const leaderId = leaderIdOf(replicas);
  const members = reconfigEnabled && leaderId !== undefined
    ? new Set(memberIdsOf(replicas.get(leaderId)!.host.activeMembership))
    : undefined;
  const running = [...replicas.values()].filter((r) => members?.has(r.id) ?? true);
  const allServing = running.every((r) => r.role.serving && r.role.leaderId === leaderId);
  return allServing ? leaderId : undefined;
}
