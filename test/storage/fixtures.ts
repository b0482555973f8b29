// Seeded txn streams and a miniature write pipeline (append, then apply once durable, as the
// proposer does) for storage tests, plus temporary data dirs cleaned up after each test.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFlag, Perm } from '../../protocol/constants.js';
import type { WriteRequest } from '../../protocol/requests.js';
import { openReplicaStorage } from '../../storage/data-dir.js';
import type { TxnLog } from '../../storage/log.js';
import type { StorageSettings } from '../../storage/replica-storage.js';
import { DataTree } from '../../tree/data-tree.js';
import type { Txn, TxnBody } from '../../protocol/txn.js';

const dirs: string[] = [];

export function tempDir(prefix = 'corral-storage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

/** A small seeded generator (mulberry32): the same seed gives the same txns. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const openAcl = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const readAcl = [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }];
const auth = { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false };

/** Writes of every kind over a few sessions: creates (persistent, ephemeral, sequential,
 * container, TTL), setData, setACL, deletes, multis, session opens and closes; with
 * `nullData`, some data is null. */
export class TxnStream {
  private zxid: number;
  private readonly random: () => number;
  private readonly sessions: bigint[] = [];
  private nextSession = 0x1000n;

  constructor(seed: number, startZxid = 0, private readonly nullData = false) {
    this.random = seededRandom(seed);
    this.zxid = startZxid;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private path(): string {
    const top = `/d${Math.floor(this.random() * 4)}`;
    return this.random() < 0.3 ? top : `${top}/n${Math.floor(this.random() * 20)}`;
  }

  private request(): WriteRequest {
    const path = this.path();
    const value = Math.floor(this.random() * 1000);
    // With nullData, one value in seven is null data (a create or setData that sent none),
    // drawn without another random() so that a seed gives the same writes either way.
    const data = this.nullData && value % 7 === 0 ? null : Buffer.from(`v${value}`);
    const roll = this.random();
    const flags = this.pick([0, 0, CreateFlag.ephemeral, CreateFlag.persistentSequential,
      CreateFlag.ephemeralSequential, CreateFlag.container]);
    const create = { kind: 'create', opcode: flags === CreateFlag.container ? 19 : 15, path,
      data, acl: openAcl, flags, ttl: -1 } as const;
    if (roll < 0.4) return create;
    if (roll < 0.45) {
      return { kind: 'create', opcode: 21, path, data, acl: openAcl,
        flags: CreateFlag.persistentWithTtl, ttl: 5000 };
    }
    if (roll < 0.7) return { kind: 'setData', path, data, version: -1 };
    if (roll < 0.75) return { kind: 'setACL', path, acl: readAcl, version: -1 };
    if (roll < 0.9) return { kind: 'delete', path, version: -1 };
    return { kind: 'multi', ops: [create, { kind: 'setData', path: this.path(), data,
      version: -1 }] };
  }

  private body(): { sessionId: bigint; body: TxnBody } {
    const roll = this.random();
    if (this.sessions.length === 0 || roll < 0.03) {
      const sessionId = this.nextSession++;
      this.sessions.push(sessionId);
      const password = Buffer.from(`pw${sessionId}`);
      return { sessionId, body: { type: 'createSession', sessionId, timeoutMs: 4000, password } };
    }
    const sessionId = this.pick(this.sessions);
    if (roll < 0.05 && this.sessions.length > 1) {
      this.sessions.splice(this.sessions.indexOf(sessionId), 1);
      return { sessionId, body: { type: 'closeSession', sessionId } };
    }
    return { sessionId, body: { type: 'write', request: this.request(), auth } };
  }

  next(): Txn {
    this.zxid++;
    const { sessionId, body } = this.body();
    return { zxid: this.zxid, time: 1_700_000_000_000 + this.zxid, sessionId, cxid: 1, body };
  }

  take(count: number): Txn[] {
    return Array.from({ length: count }, () => this.next());
  }
}

export function treeOf(txns: readonly Txn[]): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  for (const txn of txns) tree.apply(txn);
  return tree;
}

/** Appends in batches and applies each batch once durable, as the proposer does. */
export async function drive(
  log: TxnLog,
  tree: DataTree,
  txns: readonly Txn[],
  batchSize = 10,
): Promise<void> {
  for (let start = 0; start < txns.length; start += batchSize) {
    const batch = txns.slice(start, start + batchSize);
    await log.append(batch);
    for (const txn of batch) tree.apply(txn);
  }
}

/**
 * A closed data dir written as a server writes one: `txns` driven through fresh storage with
 * `settings`, `batchSize` at a time, each batch settled (snapshots and compactions done).
 */
export async function writtenDataDir(
  prefix: string,
  settings: Partial<StorageSettings>,
  txns: readonly Txn[],
  batchSize = 10,
): Promise<string> {
  const dir = tempDir(prefix);
  const quiet = { info: () => undefined, warn: () => undefined };
  const storage = await openReplicaStorage(dir, settings, quiet);
  const tree = new DataTree({ extendedTypesEnabled: true });
  await storage.restoreInto(tree);
  for (let start = 0; start < txns.length; start += batchSize) {
    await drive(storage, tree, txns.slice(start, start + batchSize));
    await storage.settled();
  }
  await storage.close();
  return dir;
}
