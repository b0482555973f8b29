// Turns one decoded client request into its effect and reply, in session order: reads are
// answered from the local data tree when their turn comes, writes go through the proposer and
// are answered once applied. Auth, SASL and setWatches are handled here as ZooKeeper's
// ZooKeeperServer.processPacket and FinalRequestProcessor handle them.

import { Xid } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/errors.js';
import { JuteError, JuteReader } from '../protocol/jute.js';
import {
  decodeRequest,
  isWriteRequest,
  MultiOpError,
  type ClientRequest,
  type WriteRequest,
} from '../protocol/requests.js';
import type { ClientConnection } from './client-connection.js';
import { reply } from './replies.js';
import type { ServerCore } from './server-core.js';

/** Handles a request frame on a connection whose session is established. */
export function handleRequestFrame(core: ServerCore, connection: ClientConnection, frame: Buffer): void {
  const reader = new JuteReader(frame, core.settings.juteMaxBufferBytes);
  let xid: number;
  let request: ClientRequest;
  try {
    xid = reader.int();
    const opcode = reader.int();
    request = decodeRequest(opcode, reader);
  } catch (error) {
    if (error instanceof JuteError || error instanceof MultiOpError) {
      core.logger.warn({ connection: connection.id, error: error.message }, 'malformed request');
      connection.close();
      return;
    }
    throw error;
  }
  const sessionId = connection.sessionId!;
  core.sessions.touch(sessionId, connection.id);
  dispatch(core, connection, sessionId, xid, request);
}

function dispatch(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  xid: number,
  request: ClientRequest,
): void {
  if (isWriteRequest(request)) {
    submitWrite(core, connection, sessionId, xid, request);
    return;
  }
  switch (request.kind) {
    case 'ping':
      connection.queue.pushRead(() => reply(Xid.ping, core.tree.lastZxid, 0));
      return;
    case 'closeSession':
      connection.queue.pushWrite(
        core.closeSession(sessionId, connection.id).then((zxid) => reply(xid, zxid, 0)),
        () => connection.close(),
      );
      return;
    case 'auth':
      core.authenticate(connection, xid, request);
      return;
    case 'sasl':
      core.saslStep(connection, xid, request);
      return;
    case 'reconfig':
      // ZooKeeper orders a rejected reconfig as an error txn: it consumes a zxid.
      connection.queue.pushWrite(
        core
          .proposeError(sessionId, xid, core.reconfigError())
          .then((outcome) => reply(xid, outcome.zxid, outcome.err)),
      );
      return;
    case 'unknown':
      // ZooKeeper's UnimplementedRequestProcessor: answer Unimplemented, then drop the connection.
      connection.queue.pushRead(() => reply(xid, core.tree.lastZxid, ErrorCode.unimplemented));
      connection.queue.pushRead(() => {
        connection.close();
        return undefined;
      });
      return;
    default:
      connection.queue.pushRead(() => core.read(connection, sessionId, xid, request));
  }
}

function submitWrite(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  xid: number,
  request: WriteRequest,
): void {
  const outcome = core.proposeWrite(sessionId, xid, request, connection);
  connection.queue.pushWrite(
    outcome.then((result) => reply(xid, result.zxid, result.err, result.body)),
  );
}
