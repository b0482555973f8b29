// Turns one decoded client request into its effect and reply, in session order: reads are
// answered from the local data tree when their turn comes, writes go through the proposer and
// are answered once applied. Auth, SASL and setWatches are handled here as ZooKeeper's
// ZooKeeperServer.processPacket and FinalRequestProcessor handle them.

import { OpCode, Xid } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import { JuteError, JuteReader } from '../../protocol/jute.js';
import {
  decodeRequest,
  isWriteRequest,
  MultiOpError,
  type ClientRequest,
  type WriteRequest,
} from '../../protocol/requests.js';
import type { ClientConnection } from './client-connection.js';
import { needsGlobalSession } from './local-sessions.js';
import { notReadOnlyOpcodes } from './read-only.js';
import { reply } from './replies.js';
import type { ServerCore } from './server-core.js';
import type { ApplyOutcome } from '../../tree/data-tree.js';
import type { TxnBody } from '../../protocol/txn.js';
import { hex } from '../../protocol/zxid.js';

/** Opcodes whose body ZooKeeper's PrepRequestProcessor decodes: a malformed one becomes an
 * error txn (it consumes a zxid), as every other write failure does. */
const txnOpcodes = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.setData,
  OpCode.setACL,
  OpCode.check,
  OpCode.multi,
]);

/** ZooKeeper's short operation names (FinalRequestProcessor's lastOp), as `cons` and the admin
 * server's connections report a connection's last request. Auth, SASL and unknown opcodes are
 * answered outside it and leave the statistics alone. */
const operationNames = new Map<number, string>([
  [OpCode.ping, 'PING'],
  [OpCode.multi, 'MULT'],
  [OpCode.multiRead, 'MLTR'],
  [OpCode.create, 'CREA'],
  [OpCode.create2, 'CREA'],
  [OpCode.createTTL, 'CREA'],
  [OpCode.createContainer, 'CREA'],
  [OpCode.delete, 'DELE'],
  [OpCode.deleteContainer, 'DELE'],
  [OpCode.setData, 'SETD'],
  [OpCode.reconfig, 'RECO'],
  [OpCode.setACL, 'SETA'],
  [OpCode.closeSession, 'CLOS'],
  [OpCode.sync, 'SYNC'],
  [OpCode.check, 'CHEC'],
  [OpCode.exists, 'EXIS'],
  [OpCode.getData, 'GETD'],
  [OpCode.setWatches, 'SETW'],
  [OpCode.setWatches2, 'STW2'],
  [OpCode.addWatch, 'ADDW'],
  [OpCode.getACL, 'GETA'],
  [OpCode.getChildren, 'GETC'],
  [OpCode.getChildren2, 'GETC'],
  [OpCode.getAllChildrenNumber, 'GETACN'],
  [OpCode.checkWatches, 'CHKW'],
  [OpCode.removeWatches, 'REMW'],
  [OpCode.whoAmI, 'HOMI'],
  [OpCode.getEphemerals, 'GETE'],
]);

/** Handles a request frame on a connection whose session is established. */
export function handleRequestFrame(
  core: ServerCore,
  connection: ClientConnection,
  frame: Buffer,
): void {
  const reader = new JuteReader(frame, core.settings.juteMaxBufferBytes);
  let xid: number;
  let opcode: number;
  try {
    xid = reader.int();
    opcode = reader.int();
  } catch (error) {
    if (!(error instanceof JuteError)) throw error;
    // No request header: ZooKeeper's processPacket cannot even name the request; it hangs up.
    core.logger.warn({ connection: connection.id, error: error.message }, 'malformed request');
    connection.close();
    return;
  }
  if (opcode !== OpCode.auth && opcode !== OpCode.sasl &&
    !core.authentication.isAuthenticatedEnough(connection)) {
    core.authentication.refuseUnauthenticated(connection, xid);
    return;
  }
  if (core.role.readOnly === true && notReadOnlyOpcodes.has(opcode)) {
    refuseNotReadOnly(core, connection, xid, opcode);
    return;
  }
  let request: ClientRequest;
  try {
    request = decodeRequest(opcode, reader);
  } catch (error) {
    if (!(error instanceof JuteError || error instanceof MultiOpError)) throw error;
    core.logger.warn({ connection: connection.id, error: error.message }, 'malformed request');
    answerMalformed(core, connection, xid, opcode);
    return;
  }
  const sessionId = connection.sessionId!;
  core.sessions.touch(sessionId, connection.id);
  dispatch(core, connection, sessionId, xid, request, operationNames.get(opcode));
}

/**
 * ReadOnlyRequestProcessor: a request that would change state (or sync) is answered NotReadOnly
 * with the last applied zxid, in the session's order, whatever its body holds.
 */
function refuseNotReadOnly(
  core: ServerCore,
  connection: ClientConnection,
  xid: number,
  opcode: number,
): void {
  core.sessions.touch(connection.sessionId!, connection.id);
  connection.queue.pushRead(
    () => reply(xid, core.tree.lastZxid, ErrorCode.notReadOnly),
    operationNames.get(opcode),
  );
}

/**
 * A request whose header is sound but whose body does not decode. The frame boundary is intact,
 * so, like ZooKeeper 3.8 (checked against it byte for byte), the connection lives on and the
 * request is answered MarshallingError: through an error txn for writes, directly for reads.
 * Only auth and sasl packets, which processPacket decodes itself, close the connection.
 */
function answerMalformed(
  core: ServerCore,
  connection: ClientConnection,
  xid: number,
  opcode: number,
): void {
  if (opcode === OpCode.auth || opcode === OpCode.sasl) {
    connection.close();
    return;
  }
  const sessionId = connection.sessionId!;
  core.sessions.touch(sessionId, connection.id);
  const err = ErrorCode.marshallingError;
  if (txnOpcodes.has(opcode)) {
    // An error txn: ZooKeeper's statistics name it NA whatever the opcode was.
    connection.queue.pushWrite(
      core.writes.proposeError(sessionId, xid, err)
        .then((outcome) => reply(xid, outcome.zxid, err)),
      undefined,
      notDurable(core, xid),
      'NA',
    );
  } else {
    connection.queue.pushRead(
      () => reply(xid, core.tree.lastZxid, err),
      operationNames.get(opcode),
    );
  }
}

function dispatch(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  xid: number,
  request: ClientRequest,
  operation: string | undefined,
): void {
  if (isWriteRequest(request)) {
    submitWrite(core, connection, sessionId, xid, request, operation);
    return;
  }
  switch (request.kind) {
    case 'ping':
      connection.queue.pushRead(() => reply(Xid.ping, core.tree.lastZxid, 0), operation);
      return;
    case 'sync': {
      // ZooKeeper's sync goes through the leader: answered once this replica has applied what
      // the leader committed before it (standalone: at once), in the session's order.
      let synced = true;
      const settled = core.pipeline.sync(sessionId, xid, request.path).catch(() => {
        synced = false;
      });
      connection.queue.pushBarrier(settled);
      connection.queue.pushRead(
        () =>
          synced
            ? reply(xid, core.tree.lastZxid, 0, { kind: 'path', path: request.path })
            : notDurable(core, xid)(),
        operation,
      );
      return;
    }
    case 'closeSession': {
      const client = { sessionId, ids: [...connection.auth.ids] };
      const closed = core.closeSession(sessionId, connection.id).then((zxid) => {
        core.audit?.session(client, 'closeSession', 'success');
        return reply(xid, zxid, 0);
      });
      connection.queue.pushWrite(
        closed,
        () => connection.close(),
        undefined,
        operation,
      );
      return;
    }
    case 'auth':
      core.authentication.authenticate(connection, xid, request);
      return;
    case 'sasl':
      core.authentication.saslStep(connection, xid, request);
      return;
    case 'reconfig': {
      const client = { sessionId, ids: [...connection.auth.ids] };
      if (core.writes.reconfigError() === undefined) {
        // The leader's machine resolves it (machines/leading/reconfig.ts): a reconfig txn whose
        // answer is /zookeeper/config's new data and stat, or an error txn.
        const resolved = core.writes.proposeReconfig(sessionId, xid, request, connection);
        connection.queue.pushWrite(
          resolved.then((outcome) => {
            core.audit?.reconfig(client, outcome.err);
            return reply(xid, outcome.zxid, outcome.err, outcome.body);
          }),
          undefined,
          notDurable(core, xid),
          operation,
        );
        return;
      }
      // ZooKeeper orders a rejected reconfig as an error txn: it consumes a zxid.
      const refused = core.writes.reconfigError()!;
      const rejected = core.writes.proposeError(sessionId, xid, refused).then((outcome) => {
        core.audit?.reconfig(client, outcome.err);
        return reply(xid, outcome.zxid, outcome.err);
      });
      connection.queue.pushWrite(
        rejected,
        undefined,
        notDurable(core, xid),
        operation,
      );
      return;
    }
    case 'unknown':
      // ZooKeeper's UnimplementedRequestProcessor: answer Unimplemented, then drop the connection.
      // Its reply header carries zxid -1, as ZooKeeper's does.
      connection.queue.pushRead(() => reply(xid, -1, ErrorCode.unimplemented));
      connection.queue.pushRead(() => {
        connection.close();
        return undefined;
      });
      return;
    default:
      connection.queue.pushRead(() => core.read(connection, sessionId, xid, request), operation);
  }
}

function submitWrite(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  xid: number,
  request: WriteRequest,
  operation: string | undefined,
): void {
  const refused = upgradeForWrite(core, sessionId, request);
  if (refused !== undefined) {
    // EphemeralOnLocalSession: ZooKeeper's learner still forwards the create, and its leader
    // orders it as an error txn (one zxid, no node), as ZooKeeper 3.8 showed.
    const ordered = core.writes.proposeError(sessionId, xid, refused);
    connection.queue.pushWrite(
      ordered.then((outcome) => reply(xid, outcome.zxid, refused)),
      undefined,
      notDurable(core, xid),
      operation,
    );
    return;
  }
  // Answered as the write is applied (before the next txn is), so that the session's reads
  // queued behind it see the tree as it left it; the promise only says what is left to say.
  const slot = connection.queue.expectWrite(notDurable(core, xid), operation);
  const answer = (result: ApplyOutcome): void => {
    if (result.err === ErrorCode.sessionMoved) {
      // ZooKeeper tears the connection down instead of answering (ZOOKEEPER-710): the session
      // lives on through the replica it moved to, and this connection must not outlive it.
      core.logger.info({ connection: connection.id }, 'session moved: closing its old connection');
      connection.close();
      return;
    }
    slot.answer(reply(xid, result.zxid, result.err, result.body));
  };
  core.writes.proposeWrite(sessionId, xid, request, connection, answer, () => slot.fail());
}

/**
 * QuorumZooKeeperServer.checkUpgradeSession, before a write is proposed: a local session about
 * to create an ephemeral node becomes global (a createSession txn with its id, timeout and
 * password, ordered ahead of the write; from then on the leader expires it), or, with
 * upgrading off, the write becomes an error txn with the error returned here.
 */
function upgradeForWrite(
  core: ServerCore,
  sessionId: bigint,
  request: WriteRequest,
): number | undefined {
  const password = core.localSessions.passwordOf(sessionId);
  if (password === undefined || !needsGlobalSession(request)) return undefined;
  if (!core.settings.localSessionsUpgradingEnabled) return ErrorCode.ephemeralOnLocalSession;
  core.localSessions.forget(sessionId);
  core.sessions.setExpiryOwner(sessionId, core.ownsSessionExpiry);
  const timeoutMs = core.sessions.timeoutOf(sessionId);
  core.logger.info({ session: hex(sessionId) }, 'upgrading a local session to a global one');
  const body: TxnBody = { type: 'createSession', sessionId, timeoutMs, password };
  // The write queued behind it fails alike if it cannot be ordered (the replica stops serving).
  core.pipeline.propose(sessionId, 0, body).catch((error: unknown) =>
    core.logger.warn({ session: hex(sessionId), error: String(error) }, 'upgrade failed'));
  return undefined;
}

/**
 * The answer to a write whose txn could not be made durable (disk or LMDB map full): it was
 * never applied, so the client gets an error and may retry; the server stays consistent.
 */
function notDurable(core: ServerCore, xid: number): () => Buffer {
  return () => reply(xid, core.tree.lastZxid, ErrorCode.systemError);
}
