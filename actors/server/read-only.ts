// What a replica serving read-only clients does differently (ZooKeeper's ReadOnlyZooKeeperServer):
// it refuses every request that would change state with NotReadOnly, and the sessions it creates
// are local ones (local-sessions.ts: never in the tree, never seen by a leader), forgotten when
// read-only service ends.

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
