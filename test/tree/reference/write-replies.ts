// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// How the data tree's writes answer: which requests are multis, and the reply body or multi
// result of each successful write (ZooKeeper's FinalRequestProcessor), kept apart from the tree
// itself so data-tree.ts holds only applying and reading.

import { OpCode, createModeOf } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { CreateRequest, MultiOp, MultiRequest, WriteRequest } from
  '../../../protocol/requests.js';
import type { OpResult, ResponseBody } from '../../../protocol/responses.js';
import type { Stat } from '../../../protocol/records.js';
import type { WriteResult } from './writes.js';
import { assertNever } from '../../../protocol/assert.js';

const none: ResponseBody = { kind: 'none' };


export type SingleWrite = Exclude<WriteRequest, MultiRequest>;

export function isMulti(request: WriteRequest): request is MultiRequest {
  return request.kind === 'multi' || request.kind === 'multiRead';
}

export function isReadOp(op: MultiOp): boolean {
  return op.kind === 'getData' || op.kind === 'getChildren';
}

export function requireStat(result: WriteResult): Stat {
  if (result.stat === undefined) throw new Error(`no stat for successful write ${result.path}`);
  return result.stat;
}

/** The reply body of a successful single write, by request type (FinalRequestProcessor). */
export function bodyOf(request: SingleWrite, result: WriteResult): ResponseBody {
  switch (request.kind) {
    case 'create':
      return request.opcode === 1
        ? { kind: 'path', path: result.path }
        : { kind: 'pathStat', path: result.path, stat: requireStat(result) };
    case 'setData':
    case 'setACL':
      return { kind: 'stat', stat: requireStat(result) };
    case 'delete':
    case 'check':
      return none;
    default:
      return assertNever(request);
  }
}

/**
 * A create inside multi as ZooKeeper rebuilds it (MultiOperationRecord → Op.create): the op type
 * comes from the flags, not from the opcode sent (Op.Create.getOpcode): container flags make a
 * createContainer, TTL flags a createTTL, any other flags (unknown ones too) a plain create, and
 * createTTL's ttl survives only with TTL flags. So createTTL with flags 0 is a persistent create,
 * createContainer with flags 1 an ephemeral. Undefined when ZooKeeper cannot prepare the op:
 * create, create2 or createContainer with TTL flags becomes a createTTL holding a CreateRequest,
 * which PrepRequestProcessor fails on (MARSHALLINGERROR for the whole multi).
 */
export function multiCreate(op: CreateRequest): CreateRequest | undefined {
  const mode = createModeOf(op.flags);
  if (mode?.ttl === true) return op.opcode === OpCode.createTTL ? op : undefined;
  const opcode = mode?.container === true ? OpCode.createContainer : OpCode.create;
  return { ...op, opcode, ttl: -1 };
}

export function opResultOf(op: SingleWrite, result: WriteResult): OpResult {
  switch (op.kind) {
    case 'create':
      // FinalRequestProcessor answers a multi's create with a bare CreateResult (path only) and
      // createContainer and createTTL with a stat; `op` is the rebuilt one (multiCreate).
      return {
        kind: 'create',
        path: result.path,
        stat: op.opcode === OpCode.create ? null : requireStat(result),
      };
    case 'delete':
      return { kind: 'delete' };
    case 'setData':
      return { kind: 'setData', stat: requireStat(result) };
    case 'check':
      return { kind: 'check' };
    case 'setACL':
      // ZooKeeper's multi has no setACL op; the decoder never produces one.
      throw new Error('setACL inside multi');
    default:
      return assertNever(op);
  }
}

/** Results of a multi that failed at `failedIndex` with `err`. */
export function failedResults(count: number, failedIndex: number, err: number): OpResult[] {
  const results: OpResult[] = [];
  for (let index = 0; index < count; index++) {
    if (index < failedIndex) results.push({ kind: 'error', err: ErrorCode.ok });
    else if (index === failedIndex) results.push({ kind: 'error', err });
    else results.push({ kind: 'error', err: ErrorCode.runtimeInconsistency });
  }
  return results;
}
