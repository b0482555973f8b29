// The queue of ephemeral sequential nodes behind locks, read-write locks, semaphores and leader
// latches (ZooKeeper's lock recipe): join with a protected create, then wait on exactly the node
// (or child list) that decides your turn — no herd of watchers woken by every change.

import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ConnectionLossError, ErrorCode } from '../../protocol/errors.js';
import {
  createProtected,
  ensurePath,
  isCode,
  nextWatchEvent,
  retrying,
  sequenceOf,
  unprotectedName,
} from './support.js';

/** Rounds of "look, then wait" before giving up: every round follows a real change. */
export const contentionRoundsMax = 100_000;

/**
 * Given the contenders sorted by sequence and our index among them: null when it is our turn,
 * a sibling name to wait for, or '' to wait for any change of the child list.
 */
export type TurnRule = (sorted: string[], ourIndex: number) => string | null;

export interface Contender {
  /** Our node's full path. */
  path: string;
}

/** Joins the queue under `directory` as `<prefix><sequence>` and waits for `turn` to say go. */
export async function contend(
  client: Client,
  directory: string,
  prefix: string,
  turn: TurnRule,
  signal?: AbortSignal,
  data?: Buffer | string,
): Promise<Contender> {
  const path = await joinQueue(client, directory, prefix, signal, data);
  try {
    await waitForTurn(client, directory, path, turn, signal);
    return { path };
  } catch (error) {
    await deleteQuietly(client, path);
    throw error;
  }
}

/** Adds our ephemeral sequential node (protected create); returns its path. */
export async function joinQueue(
  client: Client,
  directory: string,
  prefix: string,
  signal?: AbortSignal,
  data?: Buffer | string,
): Promise<string> {
  await ensurePath(client, directory, signal);
  return createProtected(client, directory, prefix, 'ephemeralSequential', data, signal);
}

/** Waits until `turn` says our node at `path` may go; throws if the node is gone. */
export async function waitForTurn(
  client: Client,
  directory: string,
  path: string,
  turn: TurnRule,
  signal?: AbortSignal,
): Promise<void> {
  const ourName = path.slice(directory.length + 1);
  for (let round = 0; round < contentionRoundsMax; round++) {
    const list = () => client.getChildren(directory, { signal });
    const children = await retrying(client, list, signal);
    const sorted = contenders(children);
    const ourIndex = sorted.indexOf(ourName);
    if (ourIndex === -1) throw new ConnectionLossError(`${path} vanished: the session was lost`);
    const waitFor = turn(sorted, ourIndex);
    if (waitFor === null) return;
    await nextWatchEvent(client, async (listener) => {
      if (waitFor === '') {
        await client.getChildren(directory, { watch: listener, signal });
        return true;
      }
      const sibling = joinPath(directory, waitFor);
      return (await client.exists(sibling, { watch: listener, signal })) !== null;
    }, signal);
  }
  throw new Error(`no turn after ${contentionRoundsMax} rounds`);
}

/** Sequential contenders (protected or not), in sequence order. */
export function contenders(children: string[]): string[] {
  return children
    .filter((child) => sequenceOf(child) >= 0)
    .sort((left, right) => sequenceOf(left) - sequenceOf(right));
}

/** The recipe-level kind of a contender: its name without GUID or sequence (`read-`, `lock-`). */
export function kindOf(name: string): string {
  return unprotectedName(name).replace(/\d{10}$/, '');
}

/** Deletes our node, retrying through ConnectionLoss; gone already is fine. */
export async function deleteQuietly(client: Client, path: string): Promise<void> {
  try {
    await retrying(client, async () => {
      try {
        await client.delete(path);
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
      }
    });
  } catch {
    // Session gone: the ephemeral goes with it.
  }
}
