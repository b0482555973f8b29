// What a replica serving read-only clients does differently (ZooKeeper's ReadOnlyZooKeeperServer):
// it refuses every request that would change state with NotReadOnly, and the sessions it creates
// are local ones (never in the tree, never seen by a leader), forgotten when read-only ends.

import { OpCode } from '../../protocol/constants.js';

/**
 * The opcodes ReadOnlyRequestProcessor answers NotReadOnly (-119) before decoding them: every
 * write, multi (whatever its ops), check, reconfig, and sync (there is no leader to sync with).
 */
export const notReadOnlyOpcodes: ReadonlySet<number> = new Set([
  OpCode.sync,
  OpCode.create,
  OpCode.create2,
  OpCode.createTTL,
  OpCode.createContainer,
  OpCode.delete,
  OpCode.deleteContainer,
  OpCode.setData,
  OpCode.reconfig,
  OpCode.setACL,
  OpCode.multi,
  OpCode.check,
]);

/**
 * The sessions a read-only replica created, with their passwords. ZooKeeper's read-only server
 * creates only local sessions (it needs localSessionsEnabled for that; see README): they live in
 * this server's session table alone and close without a txn.
 */
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

  /** Forgets one session; true when it was local. */
  forget(sessionId: bigint): boolean {
    return this.passwords.delete(sessionId);
  }

  /** Forgets them all (read-only service ended) and returns their ids. */
  takeAll(): bigint[] {
    const ids = [...this.passwords.keys()];
    this.passwords.clear();
    return ids;
  }
}
