// Local sessions, ZooKeeper's LocalSessionTracker: a session a replica creates without a txn
// (localSessionsEnabled, or any session while serving read-only), tracked and expired by that
// replica alone and closed without a txn. Here live their passwords and the rule for when one
// must become global (QuorumZooKeeperServer.checkUpgradeSession).

import { OpCode } from '../../protocol/constants.js';
import type { ClientRequest, CreateRequest } from '../../protocol/requests.js';

/**
 * True when the request needs a global session: a create or create2 of an ephemeral node
 * (EPHEMERAL or EPHEMERAL_SEQUENTIAL), alone or among a multi's ops. createTTL and
 * createContainer never upgrade, as checkUpgradeSession looks at create and create2 only.
 */
export function needsGlobalSession(request: ClientRequest): boolean {
  if (request.kind === 'create') return isEphemeralCreate(request);
  if (request.kind !== 'multi') return false;
  return request.ops.some((op) => op.kind === 'create' && isEphemeralCreate(op));
}

function isEphemeralCreate(request: CreateRequest): boolean {
  const plainCreate = request.opcode === OpCode.create || request.opcode === OpCode.create2;
  // CreateMode flags 1 and 3: EPHEMERAL and EPHEMERAL_SEQUENTIAL.
  return plainCreate && (request.flags === 1 || request.flags === 3);
}

/** The local sessions this server created, with their passwords. */
export class LocalSessions {
  private readonly passwords = new Map<bigint, Buffer>();

  add(sessionId: bigint, password: Buffer): void {
    this.passwords.set(sessionId, password);
  }

  has(sessionId: bigint): boolean {
    return this.passwords.has(sessionId);
  }

  passwordOf(sessionId: bigint): Buffer | undefined {
    return this.passwords.get(sessionId);
  }

  get size(): number {
    return this.passwords.size;
  }

  /** Forgets one session (closed, expired or upgraded); true when it was local. */
  forget(sessionId: bigint): boolean {
    return this.passwords.delete(sessionId);
  }

  /** Forgets them all (this replica stopped serving) and returns their ids. */
  takeAll(): bigint[] {
    const ids = [...this.passwords.keys()];
    this.passwords.clear();
    return ids;
  }
}

export interface WriterSession {
  /** The leader's localSessionsEnabled. */
  localSessionsEnabled: boolean;
  /** The session is in the tree (global). */
  global: boolean;
  /** The session is one of the leader's own local sessions. */
  localHere: boolean;
  /** The server id in the session id's top byte, and the leader's own. */
  sessionServerId: number;
  leaderId: number;
}

/**
 * LeaderSessionTracker.checkSession for a session the tree does not hold: the leader passes its
 * own local sessions, and (with local sessions on) any session another server made, which may
 * be that server's local session; one that names the leader but it does not know is expired.
 * True when the write should carry the localSession stamp.
 */
export function isPassedAsLocal(writer: WriterSession): boolean {
  if (!writer.localSessionsEnabled || writer.global) return false;
  return writer.localHere || writer.sessionServerId !== writer.leaderId;
}

/** The server id ZooKeeper puts in a session id's top byte. */
export function serverIdOfSession(sessionId: bigint): number {
  return Number((sessionId >> 56n) & 0xffn);
}
