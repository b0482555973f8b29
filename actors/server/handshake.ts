// The connect handshake, as ZooKeeper's processConnectRequest does it: refuse a client that has
// seen a newer zxid than this server, create a session (a createSession txn) or reattach an
// existing one by id and password, and tell a client whose session is gone that it expired
// (timeout 0) — never hand it a fresh session in its place. A replica serving read-only clients
// refuses the others and hands out local sessions only (ReadOnlyZooKeeperServer), as every
// replica of an ensemble does with localSessionsEnabled (local-sessions.ts).

import { JuteError, JuteReader, JuteWriter } from '../../protocol/jute.js';
import { readConnectRequest, type ConnectRequest } from '../../protocol/records.js';
import type { ClientConnection } from './client-connection.js';
import { type ServerCore } from './server-core.js';
import { hex } from '../../protocol/zxid.js';

const passwordBytes = 16;

export function handleConnectFrame(
  core: ServerCore,
  connection: ClientConnection,
  frame: Buffer,
): void {
  if (!core.role.servesClients) {
    // ZooKeeper closes a connect request while its server is not running (election, sync, or
    // leading with leaderServes=no).
    core.logger.info({ connection: connection.id }, 'refusing session: not serving clients');
    connection.close();
    return;
  }
  let request: ConnectRequest;
  try {
    const reader = new JuteReader(frame);
    request = readConnectRequest(reader);
    // A 3.3-era ConnectRequest ends after the password, without the readOnly byte.
    connection.oldClient = frame.length === 28 + request.password.length;
  } catch (error) {
    if (!(error instanceof JuteError)) throw error;
    core.logger.warn({ connection: connection.id, error: error.message }, 'malformed connect');
    connection.close();
    return;
  }
  if (core.role.readOnly === true && !request.readOnly) {
    // ZooKeeper closes the connection of a client that does not allow read-only (an old client,
    // without the flag, included) without a response.
    core.logger.info({ connection: connection.id }, 'refusing session: not a read-only client');
    connection.close();
    return;
  }
  if (request.lastZxidSeen > core.tree.lastZxid) {
    // The client saw a newer state elsewhere; it must try another server.
    core.logger.info(
      {
        connection: connection.id,
        clientZxid: hex(request.lastZxidSeen),
        zxid: hex(core.tree.lastZxid),
      },
      'refusing session: client has seen a newer zxid',
    );
    connection.close();
    return;
  }
  // ZooKeeperServer.processConnectRequest counts each renewal asked for, honoured or not.
  if (request.sessionId !== 0n) core.statistics.metrics.counters.connection_revalidate_count++;
  if (core.role.readOnly === true) connectReadOnly(core, connection, request);
  else if (request.sessionId === 0n && core.createsLocalSessions) {
    createLocalSession(core, connection, request);
  } else if (request.sessionId === 0n) createSession(core, connection, request);
  else if (core.localSessions.has(request.sessionId)) reopenLocalSession(core, connection, request);
  else reopenSession(core, connection, request);
}

/**
 * A local session: no txn, this server alone tracks and expires it (LocalSessionTracker), so it
 * is answered at once.
 */
function createLocalSession(
  core: ServerCore,
  connection: ClientConnection,
  request: ConnectRequest,
): void {
  const created = core.newSessionId();
  const password = core.randomBytes(passwordBytes);
  const timeoutMs = core.sessions.open(created, request.timeout, connection.id, true);
  core.localSessions.add(created, password);
  connection.sessionId = created;
  core.sessions.connected(created, connection.id);
  connection.lastOperation = 'SESS';
  connection.lastCxid = 0;
  connection.lastZxid = core.tree.lastZxid;
  connection.send(connectResponse(core, connection, timeoutMs, created, password));
  core.logger.debug({ session: hex(created), timeoutMs }, 'local session created');
}

/** A client back on the server that holds its local session (revalidated here, not by a
 * leader, as LearnerZooKeeperServer.revalidateSession does for local sessions). */
function reopenLocalSession(
  core: ServerCore,
  connection: ClientConnection,
  request: ConnectRequest,
): void {
  const sessionId = request.sessionId;
  const known = core.localSessions.passwordOf(sessionId);
  const valid = known?.equals(request.password) === true && core.sessions.isLive(sessionId);
  if (known === undefined || !valid) refuseExpired(core, connection, sessionId);
  else attachSession(core, connection, sessionId, known);
}

/**
 * A read-only replica creates a local session (no txn: there is no quorum to order one), lets a
 * client back onto a local session it created, and closes, without a response, a connection
 * that asks for a session of the ensemble (ZooKeeper's RENEW_GLOBAL_SESSION_IN_RO_MODE).
 */
function connectReadOnly(
  core: ServerCore,
  connection: ClientConnection,
  request: ConnectRequest,
): void {
  const sessionId = request.sessionId;
  if (sessionId === 0n) {
    createLocalSession(core, connection, request);
    return;
  }
  if (!core.localSessions.has(sessionId) && core.tree.sessionPassword(sessionId) !== undefined) {
    core.logger.info({ session: hex(sessionId) }, 'refusing a global session while read-only');
    connection.close();
    return;
  }
  reopenLocalSession(core, connection, request);
}

function createSession(
  core: ServerCore,
  connection: ClientConnection,
  request: ConnectRequest,
): void {
  const sessionId = core.newSessionId();
  const password = core.randomBytes(passwordBytes);
  const receivedAtMs = Date.now();
  const timeoutMs = core.sessions.open(
    sessionId,
    request.timeout,
    connection.id,
    core.ownsSessionExpiry,
  );
  connection.sessionId = sessionId;
  const created = core.pipeline
    .propose(sessionId, 0, { type: 'createSession', sessionId, timeoutMs, password })
    .then(
      () => {
        core.audit?.session({ sessionId, ids: connection.auth.ids }, 'createSession', 'success');
        if (!connection.isOpen) return;
        core.sessions.connected(sessionId, connection.id);
        // ZooKeeper's FinalRequestProcessor counts the createSession txn (xid 0) as `SESS`; a
        // reattached session's connection starts with NA, as there.
        connection.lastOperation = 'SESS';
        connection.lastCxid = 0;
        connection.lastZxid = core.tree.lastZxid;
        connection.send(connectResponse(core, connection, timeoutMs, sessionId, password));
        // A createSession is a txn: ZooKeeper's updatelatency counts it with the writes.
        core.statistics.metrics.summaries.updatelatency.observe(Date.now() - receivedAtMs);
        core.logger.debug({ session: hex(sessionId), timeoutMs }, 'session created');
      },
      () => {
        core.audit?.session({ sessionId, ids: connection.auth.ids }, 'createSession', 'failure');
        connection.close();
      },
    );
  // A client may send requests right behind its connect request (ZooKeeper's Netty client
  // does): they are answered after the connect response, as ZooKeeper stops reading the
  // connection until the session exists (disableRecv in processConnectRequest).
  connection.queue.pushBarrier(created);
}

function reopenSession(
  core: ServerCore,
  connection: ClientConnection,
  request: ConnectRequest,
): void {
  const sessionId = request.sessionId;
  const known = core.tree.sessionPassword(sessionId);
  const valid =
    known !== undefined && known.equals(request.password) && core.sessions.isLive(sessionId);
  if (!valid) {
    refuseExpired(core, connection, sessionId);
    return;
  }
  const revalidate = core.ownsSessionExpiry ? undefined : core.pipeline.revalidate;
  if (revalidate === undefined) {
    // The leader (or a standalone server) owns the session's connection from now on.
    core.sessions.setOwner(sessionId, core.role.serverId);
    attachSession(core, connection, sessionId, known);
    return;
  }
  // A learner asks the leader first (REVALIDATE): it may have expired the session already.
  revalidate.call(core.pipeline, sessionId, core.sessions.timeoutOf(sessionId)).then(
    (alive) => {
      if (!connection.isOpen) return;
      if (!alive || !core.sessions.isLive(sessionId)) refuseExpired(core, connection, sessionId);
      else attachSession(core, connection, sessionId, known);
    },
    () => connection.close(),
  );
}

/** ZooKeeper's answer to an expired or unknown session: timeout 0, id 0, a zero password. */
function refuseExpired(core: ServerCore, connection: ClientConnection, sessionId: bigint): void {
  core.logger.info({ session: hex(sessionId) }, 'reconnect to expired session');
  connection.close(connectResponse(core, connection, 0, 0n, Buffer.alloc(passwordBytes)));
}

function attachSession(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  known: Buffer,
): void {
  connection.sessionId = sessionId;
  core.sessions.connected(sessionId, connection.id);
  const timeoutMs = core.sessions.timeoutOf(sessionId);
  connection.send(connectResponse(core, connection, timeoutMs, sessionId, known));
  // Writes sent on the session's previous connection come first (ZooKeeper's per-session order).
  const pending = core.writes.writesSettled(sessionId);
  if (pending !== undefined) connection.queue.pushBarrier(pending);
}

function connectResponse(
  core: ServerCore,
  connection: ClientConnection,
  timeoutMs: number,
  sessionId: bigint,
  password: Buffer,
): Buffer {
  const writer = new JuteWriter(64);
  writer.int(0).int(timeoutMs).long(sessionId).bytes(password);
  // Clients older than 3.4 neither send nor expect the readOnly flag.
  if (!connection.oldClient) writer.boolean(core.role.readOnly === true);
  return writer.frame();
}
