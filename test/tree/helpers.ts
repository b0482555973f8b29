// Builders for data-tree tests: txns from one session, in zxid order, with a fixed clock.

import { Perm } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import type { MultiOp, WriteRequest } from '../../protocol/requests.js';
import { DataTree, type ApplyOutcome } from '../../tree/data-tree.js';
import type { AuthContext } from '../../protocol/txn.js';
import type { DataTreeOptions } from '../../tree/types.js';

export const open: ACL[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
export const anonymous: AuthContext = {
  ids: [{ scheme: 'ip', id: '127.0.0.1' }],
  superUser: false,
};
export const alice: AuthContext = {
  ids: [
    { scheme: 'ip', id: '10.0.0.5' },
    { scheme: 'digest', id: 'alice:hash' },
  ],
  superUser: false,
};
export const superUser: AuthContext = { ids: [], superUser: true };

export const session = 0x100n;

/** A tree plus a zxid counter; `time` is the zxid times 1000 unless given. */
export class Harness {
  readonly tree: DataTree;
  zxid = 0;

  constructor(options: DataTreeOptions = {}, sessions: bigint[] = [session]) {
    this.tree = new DataTree(options);
    for (const id of sessions) this.openSession(id);
  }

  openSession(sessionId: bigint, timeoutMs = 30_000): ApplyOutcome {
    this.zxid++;
    return this.tree.apply({
      zxid: this.zxid,
      time: this.zxid * 1000,
      sessionId,
      cxid: 0,
      body: { type: 'createSession', sessionId, timeoutMs, password: Buffer.from('secret') },
    });
  }

  closeSession(sessionId: bigint): ApplyOutcome {
    this.zxid++;
    return this.tree.apply({
      zxid: this.zxid,
      time: this.zxid * 1000,
      sessionId,
      cxid: 0,
      body: { type: 'closeSession', sessionId },
    });
  }

  write(
    request: WriteRequest,
    auth: AuthContext = anonymous,
    sessionId = session,
    time?: number,
  ): ApplyOutcome {
    this.zxid++;
    return this.tree.apply({
      zxid: this.zxid,
      time: time ?? this.zxid * 1000,
      sessionId,
      cxid: this.zxid,
      body: { type: 'write', request, auth },
    });
  }

  deleteContainer(path: string, time: number): ApplyOutcome {
    this.zxid++;
    return this.tree.apply({
      zxid: this.zxid,
      time,
      sessionId: 0n,
      cxid: 0,
      body: { type: 'deleteContainer', path },
    });
  }

  create(path: string, options: Partial<CreateOptions> = {}): ApplyOutcome {
    return this.write(createOp(path, options), options.auth ?? anonymous, options.sessionId);
  }
}

export interface CreateOptions {
  data: string;
  flags: number;
  opcode: 1 | 15 | 19 | 21;
  ttl: number;
  acl: ACL[] | null;
  auth: AuthContext;
  sessionId: bigint;
}

export function createOp(
  path: string,
  options: Partial<CreateOptions> = {},
): MultiOp & WriteRequest {
  return {
    kind: 'create',
    opcode: options.opcode ?? 15,
    path,
    data: Buffer.from(options.data ?? ''),
    acl: options.acl === undefined ? open : options.acl,
    flags: options.flags ?? 0,
    ttl: options.ttl ?? -1,
  };
}

export function setDataOp(path: string, data: string, version = -1): MultiOp & WriteRequest {
  return { kind: 'setData', path, data: Buffer.from(data), version };
}

export function deleteOp(path: string, version = -1): MultiOp & WriteRequest {
  return { kind: 'delete', path, version };
}

export function checkOp(path: string, version: number): MultiOp & WriteRequest {
  return { kind: 'check', path, version };
}
