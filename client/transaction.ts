// Operations for multi (all-or-nothing writes) and multiRead, and the fluent Transaction builder
// (`client.transaction().create(...).setData(...).commit()`), translated into protocol requests.

import { CreateFlag, OpCode } from '../protocol/constants.js';
import { BadArgumentsError } from '../protocol/errors.js';
import type { CreateRequest, MultiOp } from '../protocol/requests.js';
import { validatePath } from './connect-string.js';
import {
  openAcl,
  toData,
  type DataInput,
  type CreateOptions,
  type MultiResult,
  type RequestOptions,
} from './types.js';

export type Operation =
  | ({ kind: 'create'; path: string; data?: Buffer | string | null } &
    Omit<CreateOptions, 'signal'>)
  | { kind: 'delete'; path: string; version?: number }
  | { kind: 'setData'; path: string; data: Buffer | string | null; version?: number }
  | { kind: 'check'; path: string; version: number };

export type ReadOperation = { kind: 'getData' | 'getChildren'; path: string };

/** A create request for any mode; `path` is already the server path. */
export function createRequest(
  path: string,
  data: DataInput,
  options: Omit<CreateOptions, 'signal' | 'timeoutMs'>,
): CreateRequest {
  const mode = options.mode ?? 'persistent';
  const flags = CreateFlag[mode];
  if (flags === undefined) throw new BadArgumentsError(`unknown create mode '${mode}'`, path);
  const withTtl = mode === 'persistentWithTtl' || mode === 'persistentSequentialWithTtl';
  if (withTtl && (options.ttlMs === undefined || options.ttlMs <= 0)) {
    throw new BadArgumentsError(`mode ${mode} needs a positive ttlMs`, path);
  }
  validatePath(path, mode.toLowerCase().includes('sequential'));
  const opcode =
    mode === 'container' ? OpCode.createContainer : withTtl ? OpCode.createTTL : OpCode.create2;
  return {
    kind: 'create',
    opcode,
    path,
    data: toData(data),
    acl: options.acl ?? openAcl,
    flags,
    ttl: withTtl ? (options.ttlMs as number) : -1,
  };
}

/** The protocol op for a client op, with `toServer` applied to its path. */
export function toMultiOp(operation: Operation, toServer: (path: string) => string): MultiOp {
  const path = toServer(operation.path);
  switch (operation.kind) {
    case 'create':
      return createRequest(path, operation.data, operation);
    case 'delete':
      return { kind: 'delete', path, version: operation.version ?? -1 };
    case 'setData':
      return {
        kind: 'setData',
        path,
        data: toData(operation.data),
        version: operation.version ?? -1,
      };
    case 'check':
      return { kind: 'check', path, version: operation.version };
  }
}

/** Collects operations and commits them as one multi: all take effect or none does. */
export class Transaction {
  private readonly operations: Operation[] = [];

  constructor(
    private readonly commitOperations: (
      operations: Operation[],
      options?: RequestOptions,
    ) => Promise<MultiResult[]>,
  ) {}

  create(path: string, data?: DataInput, options: Omit<CreateOptions, 'signal'> = {}): this {
    this.operations.push({ kind: 'create', path, data, ...options });
    return this;
  }

  delete(path: string, version = -1): this {
    this.operations.push({ kind: 'delete', path, version });
    return this;
  }

  setData(path: string, data: Buffer | string | null, version = -1): this {
    this.operations.push({ kind: 'setData', path, data, version });
    return this;
  }

  check(path: string, version: number): this {
    this.operations.push({ kind: 'check', path, version });
    return this;
  }

  commit(options?: RequestOptions): Promise<MultiResult[]> {
    return this.commitOperations([...this.operations], options);
  }
}
