// How a client's writes reach the write pipeline: each as the txn body the replicas apply (its
// auth, skipACL's super user, enforceQuota, a local session's stamp), an audited write told as
// it is applied, errors and reconfigs ordered like writes, and each session's writes tracked so
// a session moving to a new connection is answered only after those sent before (FIFO order).

import { ErrorCode } from '../../protocol/errors.js';
import type { ReconfigRequest, WriteRequest } from '../../protocol/requests.js';
import type { ReconfigRequestBody, TxnBody } from '../../protocol/txn.js';
import type { ApplyOutcome } from '../../tree/data-tree.js';
import type { ServerConfig } from '../config/server-config.js';
import type { AuditLog } from './audit.js';
import type { ClientConnection } from './client-connection.js';
import type { LocalSessions } from './local-sessions.js';
import type { WritePipeline } from './pipeline.js';
import { SessionWrites } from './session-writes.js';

export class WriteProposals {
  /** Each session's writes not yet settled (see writesSettled). */
  private readonly sessionWrites = new SessionWrites();

  constructor(
    private readonly settings: Pick<ServerConfig, 'skipAcl' | 'enforceQuota' | 'reconfigEnabled'>,
    private readonly pipeline: WritePipeline,
    private readonly localSessions: LocalSessions,
    private readonly audit: AuditLog | undefined,
  ) {}

  /**
   * Orders a client's write. `applied` is told the outcome as the txn is applied (before the
   * next one is), `failed` when it is not (not durable, or the replica stopped serving). The
   * standalone pipeline takes the callbacks as they are; a replicated one settles a promise.
   */
  proposeWrite(
    sessionId: bigint,
    xid: number,
    request: WriteRequest,
    connection: ClientConnection,
    applied: (outcome: ApplyOutcome) => void,
    failed: () => void,
  ): void {
    // skipACL=yes: the write passes every ACL on the replicas that apply it (a learner's
    // forwarded write is stamped by its leader instead; see ReplicaHost).
    const auth = this.settings.skipAcl
      ? { ids: [...connection.auth.ids], superUser: true }
      : connection.writeAuth();
    const told = this.audit?.writeListener({ sessionId, ids: auth.ids }, request, applied) ??
      applied;
    // A learner's setting travels no further: the leader stamps its own (host.ts).
    // A leader's own local session is stamped here; a learner's stamp the leader redoes.
    const body: TxnBody = this.settings.enforceQuota || this.localSessions.has(sessionId)
      ? {
        type: 'write', request, auth,
        ...(this.settings.enforceQuota ? { enforceQuota: true } : {}),
        ...(this.localSessions.has(sessionId) ? { localSession: true } : {}),
      }
      : { type: 'write', request, auth };
    const writes = this.sessionWrites;
    writes.begin(sessionId);
    const done = (outcome: ApplyOutcome): void => {
      writes.end(sessionId);
      told(outcome);
    };
    const undone = (): void => {
      writes.end(sessionId);
      failed();
    };
    if (this.pipeline.submit !== undefined) {
      this.pipeline.submit(sessionId, xid, body, done, undone);
      return;
    }
    // Told as applied, and again (ignored by the caller) as the promise settles.
    let settled = false;
    const once = (outcome: ApplyOutcome): void => {
      if (settled) return;
      settled = true;
      done(outcome);
    };
    this.pipeline.propose(sessionId, xid, body, once).then(once, () => {
      if (settled) return;
      settled = true;
      undone();
    });
  }

  proposeError(sessionId: bigint, xid: number, err: number): Promise<ApplyOutcome> {
    const proposed = this.pipeline.propose(sessionId, xid, { type: 'error', err });
    return this.sessionWrites.track(sessionId, proposed);
  }

  /**
   * Settles once every write the session has sent so far (on any connection) is applied. A
   * session reattaching on a new connection waits for this before its new requests are
   * answered, so its FIFO order holds across connections as in ZooKeeper.
   */
  writesSettled(sessionId: bigint): Promise<unknown> | undefined {
    return this.sessionWrites.settled(sessionId);
  }

  /**
   * The error a reconfig gets before it reaches a leader: ReconfigDisabled without
   * reconfigEnabled, Unimplemented on a standalone server (as ZooKeeper answers); undefined when
   * the ensemble's leader decides.
   */
  reconfigError(): number | undefined {
    if (!this.settings.reconfigEnabled) return ErrorCode.reconfigDisabled;
    return this.pipeline.acceptsReconfig === true ? undefined : ErrorCode.unimplemented;
  }

  /** A reconfig for the leader's machine to resolve; the session's ids go with it. */
  proposeReconfig(
    sessionId: bigint,
    xid: number,
    request: ReconfigRequest,
    connection: ClientConnection,
  ): Promise<ApplyOutcome> {
    const auth = { ids: [...connection.auth.ids], superUser: connection.auth.superUser };
    const body: ReconfigRequestBody = {
      type: 'reconfigRequest',
      joining: request.joiningServers,
      leaving: request.leavingServers,
      newMembers: request.newMembers,
      fromConfig: Number(request.currentConfigId),
      auth,
    };
    return this.sessionWrites.track(sessionId, this.pipeline.propose(sessionId, xid, body));
  }
}
