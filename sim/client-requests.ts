// What a simulated client asks and how it reads the answers: its ConnectRequest, the seeded
// choice of the next operation on the shared keys, the ZooKeeper request that carries it, and
// the checker's reading of the reply. Pure functions over protocol/'s records and codecs.

import { ErrorCode } from '../protocol/errors.js';
import { JuteWriter } from '../protocol/jute.js';
import { writeConnectRequest, type ACL } from '../protocol/records.js';
import type { ClientRequest, MultiOp, WriteRequest } from '../protocol/requests.js';
import type { ResponseBody } from '../protocol/responses.js';
import type { ZooKeeperInput, ZooKeeperOutput, ZooKeeperWrite } from './linearizability/index.js';
import type { SeededRandom } from './random.js';

export const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** The parent of the clients' sequential nodes (created, and deleted, like any other key). */
const queueParent = '/queue';
const createFlags = { persistent: 0, ephemeral: 1, sequential: 2 } as const;

/** A session as the history and violations name it. */
export function sessionName(sessionId: bigint): string {
  return `0x${sessionId.toString(16)}`;
}

/** The handshake's first frame: a new session (id 0), or the client's own to reattach. */
export function connectRequestFrame(request: {
  lastZxidSeen: number;
  timeoutMs: number;
  sessionId: bigint;
  password: Buffer;
}): Buffer {
  const writer = new JuteWriter(64);
  writeConnectRequest(writer, {
    protocolVersion: 0,
    lastZxidSeen: request.lastZxidSeen,
    timeout: request.timeoutMs,
    sessionId: request.sessionId,
    password: request.password,
    readOnly: false,
  });
  return writer.frame();
}

/** The next operation, chosen by the seeded generator; `data` makes each write's value unique. */
export function randomInput(
  random: SeededRandom,
  keys: readonly string[],
  data: string,
): ZooKeeperInput {
  const path = random.pick(keys);
  const version = random.chance(0.5) ? -1 : random.int(3);
  const roll = random.int(100);
  if (roll < 16) return { kind: 'create', path, data };
  if (roll < 32) return { kind: 'setData', path, data, version };
  if (roll < 40) return { kind: 'delete', path, version };
  if (roll < 60) return { kind: 'getData', path };
  if (roll < 72) return { kind: 'exists', path };
  if (roll < 80) return { kind: 'sync', path: '/' };
  // A queue: its parent is created like any key, its items with sequential names.
  if (roll < 84) return { kind: 'create', path: queueParent, data };
  if (roll < 92) return { kind: 'create', path: `${queueParent}/item-`, data, sequential: true };
  // Multi: a versioned compare-and-set, or a create undone in the same transaction.
  if (roll < 96) {
    const ops: ZooKeeperWrite[] = [
      { kind: 'check', path, version },
      { kind: 'setData', path, data, version: -1 },
    ];
    return { kind: 'multi', ops };
  }
  const scratch = `${path}-scratch`;
  return {
    kind: 'multi',
    ops: [{ kind: 'create', path: scratch, data }, { kind: 'delete', path: scratch, version: -1 }],
  };
}

/** The request carrying an operation: reads without a watch (the client is watch-free). */
export function requestOf(input: ZooKeeperInput): ClientRequest {
  switch (input.kind) {
    case 'getData':
    case 'exists':
      return { kind: input.kind, path: input.path, watch: false };
    case 'sync':
      return { kind: 'sync', path: input.path };
    default:
      return writeRequestOf(input);
  }
}

export function isWriteInput(input: ZooKeeperInput): boolean {
  return input.kind !== 'getData' && input.kind !== 'exists' && input.kind !== 'sync';
}

function writeRequestOf(input: ZooKeeperInput): WriteRequest {
  switch (input.kind) {
    case 'multi':
      return { kind: 'multi', ops: input.ops.map((op) => writeRequestOf(op) as MultiOp) };
    case 'check':
      return { kind: 'check', path: input.path, version: input.version };
    case 'create': {
      const flags = input.sequential === true ? createFlags.sequential : createFlags.persistent;
      return {
        kind: 'create', opcode: 1, path: input.path, data: Buffer.from(input.data), acl: openAcl,
        flags, ttl: -1,
      };
    }
    case 'setData':
      return {
        kind: 'setData', path: input.path, data: Buffer.from(input.data), version: input.version,
      };
    case 'delete':
      return { kind: 'delete', path: input.path, version: input.version };
    default:
      throw new Error(`simulated client: ${input.kind} is not a write it issues`);
  }
}

/** Each session's ephemeral node (its data is its path). */
export function ephemeralCreate(path: string): WriteRequest {
  return {
    kind: 'create', opcode: 1, path, data: Buffer.from(path), acl: openAcl,
    flags: createFlags.ephemeral, ttl: -1,
  };
}

/**
 * The write was refused because the session was already gone: ZooKeeper closes such a
 * session's connection, so a real client sees the expiry rather than this reply (a multi says
 * so in its first op's result).
 */
export function isSessionExpired(err: number, body: ResponseBody): boolean {
  if (err === ErrorCode.sessionExpired) return true;
  if (body.kind !== 'multi') return false;
  return body.results.some(
    (result) => result.kind === 'error' && result.err === ErrorCode.sessionExpired,
  );
}

/** A multi's per-op results, as the checker reads them (a failed multi: an error per op). */
function multiOutputOf(body: ResponseBody): ZooKeeperOutput {
  if (body.kind !== 'multi') return { kind: 'error', code: ErrorCode.marshallingError };
  const results = body.results.map((result): ZooKeeperOutput => {
    switch (result.kind) {
      case 'create':
        return { kind: 'created', path: result.path };
      case 'delete':
        return { kind: 'deleted' };
      case 'setData':
        return { kind: 'set', version: result.stat.version };
      case 'check':
        return { kind: 'checked' };
      case 'error':
        return { kind: 'error', code: result.err };
      default:
        throw new Error(`simulated client: no reading of a ${result.kind} multi result`);
    }
  });
  return { kind: 'multi', results };
}

/** The checker's reading of a server reply. */
export function outputOf(kind: string, err: number, body: ResponseBody): ZooKeeperOutput {
  if (kind === 'multi' && err === ErrorCode.ok) return multiOutputOf(body);
  if (err !== ErrorCode.ok) return { kind: 'error', code: err };
  switch (kind) {
    case 'create':
      return { kind: 'created', path: body.kind === 'path' ? body.path : '' };
    case 'delete':
      return { kind: 'deleted' };
    case 'setData':
      return { kind: 'set', version: body.kind === 'stat' ? body.stat.version : -1 };
    case 'getData':
      return body.kind === 'data'
        ? { kind: 'data', data: body.data?.toString('utf8') ?? '', version: body.stat.version }
        : { kind: 'error', code: ErrorCode.noNode };
    case 'exists':
      return body.kind === 'stat' ? { kind: 'stat', version: body.stat.version } : {
        kind: 'error', code: ErrorCode.noNode,
      };
    case 'sync':
      return { kind: 'synced' };
    default:
      throw new Error(`simulated client: no reading of ${kind}`);
  }
}
