// What every recipe leans on: parents that exist, retries that are safe after ConnectionLoss,
// Curator's protected creates (a GUID in the name so a retried create finds its node instead of
// orphaning one), sequence ordering, waiting for a watch, and noticing the session is gone.

import { randomUUID } from 'node:crypto';
import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ConnectionLossError, ErrorCode, type ZooKeeperError } from '../../protocol/errors.js';
import type { ClientConnectionState } from '../../machines/client-connection.js';
import type { CreateMode } from '../types.js';

/** Retries after ConnectionLoss before giving up: each waits for a fresh connection. */
export const connectionLossRetriesMax = 10;

export function isCode(error: unknown, code: number): boolean {
  return (error as ZooKeeperError | null)?.code === code;
}

/** Runs an idempotent operation, retrying after ConnectionLoss once reconnected. */
export async function retrying<T>(
  client: Client,
  operation: () => Promise<T>, signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const retryable = isCode(error, ErrorCode.connectionLoss);
      if (!retryable || attempt >= connectionLossRetriesMax) throw error;
      await client.whenConnected(signal);
    }
  }
}

/** Creates `path` and its missing ancestors as persistent nodes (existing ones are fine). */
export async function ensurePath(
  client: Client,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  const segments = path.split('/').filter((segment) => segment !== '');
  let current = '';
  for (const segment of segments) {
    current = `${current}/${segment}`;
    const node = current;
    await retrying(client, async () => {
      try {
        await client.create(node, undefined, { signal });
      } catch (error) {
        if (!isCode(error, ErrorCode.nodeExists)) throw error;
      }
    }, signal);
  }
}

/** Curator's protected-name marker: `_c_<guid>-<name>`. */
export function protectedPrefix(guid: string): string {
  return `_c_${guid}-`;
}

/** The recipe-visible part of a (possibly protected) child name. */
export function unprotectedName(name: string): string {
  return /^_c_[0-9a-f-]{36}-/.test(name) ? name.slice(40) : name;
}

/**
 * Creates `parent/<_c_guid->name` (sequential modes append the sequence). After ConnectionLoss it
 * looks for a child carrying its GUID before trying again, so it never leaves an orphan behind.
 */
export async function createProtected(
  client: Client,
  parent: string,
  name: string,
  mode: CreateMode,
  data?: Buffer | string,
  signal?: AbortSignal,
): Promise<string> {
  const prefix = protectedPrefix(randomUUID());
  for (let attempt = 0; attempt <= connectionLossRetriesMax; attempt++) {
    try {
      signal?.throwIfAborted();
      // The create itself is not aborted: only its reply tells whether the node exists, and one
      // created after the caller gave up would stay for the whole session (a lock nobody holds).
      // A deadline that passed meanwhile deletes it, then rejects.
      const created = (await client.create(joinPath(parent, prefix + name), data, { mode })).path;
      if (signal?.aborted === true) {
        await client.delete(created).catch(() => undefined);
        throw signal.reason;
      }
      return created;
    } catch (error) {
      if (!isCode(error, ErrorCode.connectionLoss)) throw error;
      await client.whenConnected(signal);
      // sync first: the server we reconnected to may not yet have applied our create (a lagging
      // replica, or a create still in the pipeline of the old connection).
      const lookup = async () => {
        await client.sync(parent, { signal });
        return client.getChildren(parent, { signal });
      };
      const children = await retrying(client, lookup, signal);
      const found = children.find((child) => child.startsWith(prefix));
      if (found !== undefined) return joinPath(parent, found);
    }
  }
  throw new ConnectionLossError(`create under ${parent} kept losing the connection`);
}

/** The ten-digit sequence ZooKeeper appends to sequential names (-1 if absent). */
export function sequenceOf(name: string): number {
  const match = /(\d{10})$/.exec(name);
  return match === null ? -1 : Number(match[1]);
}

export function sortBySequence(names: string[]): string[] {
  return [...names].sort((left, right) => sequenceOf(left) - sequenceOf(right));
}

/**
 * Resolves at the next watch event the `arm` call registers (arm returns false when there is
 * nothing to wait for). Rejects on abort, or when the session can never come back.
 */
export function nextWatchEvent(
  client: Client,
  arm: (listener: () => void) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => finish(signal?.reason);
    const unsubscribe = client.on('state', (state) => {
      if (isSessionLost(state)) client.whenConnected().catch((error: unknown) => finish(error));
    });
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    arm(() => finish()).then(
      (armed) => {
        if (!armed) finish();
      },
      (error: unknown) => (isCode(error, ErrorCode.connectionLoss) ? finish() : finish(error)),
    );
  });
}

export function isSessionLost(state: ClientConnectionState): boolean {
  return state === 'expired' || state === 'closed' || state === 'authFailed';
}

/** Calls `listener` once when the session is lost for good (expired, closed, authFailed). */
export function onSessionLost(
  client: Client,
  listener: (state: ClientConnectionState) => void,
): () => void {
  if (isSessionLost(client.state)) {
    queueMicrotask(() => listener(client.state));
    return () => undefined;
  }
  const unsubscribe = client.on('state', (state) => {
    if (!isSessionLost(state)) return;
    unsubscribe();
    listener(state);
  });
  return unsubscribe;
}

/** A signal that aborts with RequestTimeoutError-like reason after `timeoutMs` (or never). */
export function deadlineSignal(signal?: AbortSignal, timeoutMs?: number): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}
