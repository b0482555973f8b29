// Shorthands for writing histories in the linearizability checker's tests.

import { ErrorCode } from '../../protocol/errors.js';
import type {
  ZooKeeperInput,
  ZooKeeperOperation,
  ZooKeeperOutput,
  ZooKeeperWrite,
} from '../../sim/linearizability/index.js';

/** A completed operation of `session` over [invokedAt, completedAt]. */
export function done(
  session: number,
  invokedAt: number,
  completedAt: number,
  input: ZooKeeperInput,
  output: ZooKeeperOutput,
): ZooKeeperOperation {
  return { sessionId: session, invokedAt, completedAt, input, output };
}

/** An operation whose reply never came. */
export function lost(
  session: number,
  invokedAt: number,
  input: ZooKeeperInput,
): ZooKeeperOperation {
  return { sessionId: session, invokedAt, completedAt: null, input, output: null };
}

export const error = (code: number): ZooKeeperOutput => ({ kind: 'error', code });
export const noNode = error(ErrorCode.noNode);
export const data = (value: string, version: number): ZooKeeperOutput =>
  ({ kind: 'data', data: value, version });
export const set = (version: number): ZooKeeperOutput => ({ kind: 'set', version });
export const created = (path: string): ZooKeeperOutput => ({ kind: 'created', path });
export const deleted: ZooKeeperOutput = { kind: 'deleted' };
export const remove = (path: string, version = -1): ZooKeeperWrite =>
  ({ kind: 'delete', path, version });
export const getData = (path: string): ZooKeeperInput => ({ kind: 'getData', path });
export const setData = (path: string, value: string, version = -1): ZooKeeperWrite =>
  ({ kind: 'setData', path, data: value, version });
export const create = (path: string, value = '', sequential = false): ZooKeeperWrite =>
  ({ kind: 'create', path, data: value, sequential });
