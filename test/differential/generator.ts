// Seeded random operation sequences for the differential test: two sessions hammering a small
// path universe so operations collide, plus invalid paths, ACLs, versions and wire abuse. The
// sequence never depends on replies, so every server under test receives exactly the same bytes.

import { createHash } from 'node:crypto';
import {
  AddWatchMode, CreateFlag, OpCode, Perm, WatcherType, opName,
} from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import {
  opcodeOf, type ClientRequest, type CreateRequest, type MultiOp,
} from '../../protocol/requests.js';
import { Random } from './random.js';

export type SessionSlot = 'A' | 'B';

export type Step =
  | { session: SessionSlot; action: 'request'; request: ClientRequest }
  /** closeSession, then a fresh session takes the slot (ephemerals vanish, watches fire). */
  | { session: SessionSlot; action: 'closeSession' };

export const users = { alice: 'alice:secret', bob: 'bob:secret' } as const;

function digestId(credentials: string): string {
  const [user] = credentials.split(':');
  return `${user}:${createHash('sha1').update(credentials).digest('base64')}`;
}

const world: ACL[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const aclChoices: readonly (readonly [number, ACL[]])[] = [
  [12, world],
  [2, [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }]],
  [2, [{ perms: Perm.all, id: { scheme: 'digest', id: digestId(users.alice) } }]],
  [1, [
    { perms: Perm.all, id: { scheme: 'digest', id: digestId(users.bob) } },
    { perms: Perm.read | Perm.create, id: { scheme: 'world', id: 'anyone' } },
  ]],
  [2, [{ perms: Perm.all, id: { scheme: 'ip', id: '127.0.0.1' } }]],
  [1, [{ perms: Perm.all, id: { scheme: 'ip', id: '10.0.0.0/8' } }]],
  [2, [{ perms: Perm.all, id: { scheme: 'auth', id: '' } }]],
  // Invalid or odd: empty list, unknown scheme, digest without password, bad ip, no perms.
  [1, []],
  [1, [{ perms: Perm.all, id: { scheme: 'foo', id: 'x' } }]],
  [1, [{ perms: Perm.all, id: { scheme: 'digest', id: 'alice' } }]],
  [1, [{ perms: Perm.all, id: { scheme: 'ip', id: '300.1.1.1' } }]],
  [1, [{ perms: 0, id: { scheme: 'world', id: 'anyone' } }]],
];

/**
 * Names under the run's prefix, weighted toward parents so subtrees actually grow; sequential
 * bases and the names they produce collide on purpose.
 */
const names: readonly (readonly [number, string])[] = [
  [5, 'a'], [4, 'd'], [4, 'a/b'], [3, 'a/b/c'], [3, 'd/e'],
  [1, 'a/q0000000000'], [1, 'a/q0000000001'], [1, 'd/q0000000002'],
];
/** Parents stay persistent (mostly): an ephemeral parent would end every subtree early. */
const parents = new Set(['a', 'd', 'a/b']);
const sequentialBases = ['a/q', 'd/q', 'q'];

function invalidPaths(prefix: string): string[] {
  return [
    '', 'a', `${prefix}/a/`, `${prefix}//a`, `${prefix}/a//b`, `${prefix}/./a`, `${prefix}/a/..`,
    '/zookeeper', '/zookeeper/quota', '/zookeeper/config', '/', `${prefix}/a\u0000b`,
    `${prefix}/\u0001x`, `${prefix}/a/b/c/d/e`,
  ];
}

class StepGenerator {
  constructor(
    private readonly random: Random,
    private readonly prefix: string,
  ) {}

  /** The only paths addWatch uses (see the watched reads above). */
  persistentWatchPaths(): string[] {
    return [`${this.prefix}/d`, `${this.prefix}/a/b`];
  }

  path(): string {
    const roll = this.random.next();
    if (roll < 0.08) return this.random.pick(invalidPaths(this.prefix));
    if (roll < 0.14) return this.prefix;
    return `${this.prefix}/${this.random.weighted(names)}`;
  }

  data(): Buffer {
    if (this.random.chance(0.003)) return Buffer.alloc(0xfffff - 200, 0x61); // fits jute.maxbuffer
    if (this.random.chance(0.1)) return Buffer.alloc(0);
    return Buffer.from(`v${this.random.int(1000)}`);
  }

  version(): number {
    return this.random.weighted([[5, -1], [3, 0], [2, 1], [1, 2], [1, 7]]);
  }

  create(): CreateRequest {
    const opcode = this.random.weighted<CreateRequest['opcode']>([
      [6, OpCode.create], [4, OpCode.create2], [1, OpCode.createContainer], [2, OpCode.createTTL],
    ]);
    const ttlMode = opcode === OpCode.createTTL;
    const flags = this.random.chance(0.05)
      ? this.random.pick([7, -1, CreateFlag.container])
      : ttlMode
        ? this.random.weighted([[6, CreateFlag.persistentWithTtl], [3, 6], [1, 0]])
        : this.random.weighted([[5, 0], [3, 1], [2, 2], [2, 3], [1, 4]]);
    const sequential = flags === 2 || flags === 3 || flags === 6;
    let path = sequential && this.random.chance(0.8)
      ? `${this.prefix}/${this.random.pick(sequentialBases)}`
      : this.path();
    const parent = parents.has(path.slice(this.prefix.length + 1));
    if (parent && (flags === 1 || flags === 3) && this.random.chance(0.9)) {
      path = `${this.prefix}/${this.random.pick(['a/b/c', 'd/e'])}`;
    }
    const ttlFlags = flags === CreateFlag.persistentWithTtl || flags === 6;
    // createTTL with a non-TTL mode and a negative ttl passes ZooKeeper 3.8's checks, then halts
    // the whole server while applying the txn (IllegalArgumentException in SyncThread).
    const ttl = !ttlMode
      ? -1
      : this.random.weighted([[8, 3_600_000], [1, 0], [ttlFlags ? 1 : 0, -5]]);
    const acl = this.random.chance(parent ? 0.05 : 0.25) ? this.random.weighted(aclChoices) : world;
    return { kind: 'create', opcode, path, data: this.data(), acl, flags, ttl };
  }

  setData(): ClientRequest & MultiOp {
    return { kind: 'setData', path: this.path(), data: this.data(), version: this.version() };
  }

  several<T>(least: number, most: number, make: () => T): T[] {
    return Array.from({ length: least + this.random.int(most - least + 1) }, make);
  }

  multiOp(): MultiOp {
    return this.random.weighted<() => MultiOp>([
      [4, () => this.create()],
      [3, () => ({ kind: 'delete', path: this.path(), version: this.version() })],
      [3, () => this.setData()],
      [3, () => ({ kind: 'check', path: this.path(), version: this.version() })],
    ])();
  }

  readOp(): MultiOp {
    const path = this.path();
    return this.random.chance(0.5)
      ? { kind: 'getData', path, watch: false }
      : { kind: 'getChildren', path, watch: false };
  }

  request(): ClientRequest {
    const random = this.random;
    const ops: readonly (readonly [number, () => ClientRequest])[] = [
      [22, () => this.create()],
      [8, () => ({ kind: 'delete', path: this.path(), version: this.version() })],
      [10, () => this.setData()],
      [20, () => {
        const path = this.path();
        return {
          kind: random.pick(['exists', 'getData', 'getChildren', 'getChildren2'] as const),
          path,
          // corral follows ZooKeeper 3.9, where a one-shot watch no longer replaces a
          // persistent one on the same path (3.8 keeps one mode per path: ZOOKEEPER-4466), so
          // one-shot watches stay off the paths persistent watches use.
          watch: random.chance(0.6) && !this.persistentWatchPaths().includes(path),
        };
      }],
      [3, () => ({ kind: 'getACL', path: this.path() })],
      [5, () => ({
        kind: 'setACL', path: this.path(), acl: random.weighted(aclChoices),
        version: this.version(),
      })],
      [6, () => ({ kind: 'multi', ops: this.several(0, 4, () => this.multiOp()) })],
      [3, () => ({ kind: 'multiRead', ops: this.several(1, 3, () => this.readOp()) })],
      [2, () => ({ kind: 'sync', path: this.path() })],
      [2, () => ({ kind: 'getEphemerals', path: random.chance(0.7) ? this.prefix : this.path() })],
      [2, () => ({ kind: 'getAllChildrenNumber', path: this.path() })],
      [3, () => ({
        kind: 'addWatch', path: random.pick(this.persistentWatchPaths()),
        mode: random.pick([AddWatchMode.persistent, AddWatchMode.persistentRecursive]),
      })],
      // checkWatches is left out: ZooKeeper 3.8's WatchManager.containsWatcher answers OK when
      // any connection watches the path (it never checks for the asking one), which corral does
      // not reproduce; test/server covers checkWatches against corral's own semantics.
      [3, () => ({
        kind: 'removeWatches', path: this.path(),
        watcherType: random.pick([WatcherType.children, WatcherType.data, WatcherType.any]),
      })],
      [1, () => ({ kind: 'whoAmI' })],
      [2, () => ({
        kind: 'auth', authType: 0, scheme: 'digest',
        auth: Buffer.from(random.chance(0.6) ? users.alice : users.bob),
      })],
      [0.4, () => ({ kind: 'unknown', opcode: 999 })],
      // Just above jute.maxbuffer: ZooKeeper drops the connection (the session survives).
      [0.3, () => ({
        kind: 'setData', path: this.path(), data: Buffer.alloc(1024 * 1024 + 1), version: -1,
      })],
    ];
    return random.weighted(ops)();
  }
}

/** The run's root: one per seed, so seeds share a server without sharing nodes. */
export function prefixFor(seed: number): string {
  return `/diff-${seed}`;
}

/**
 * A's ephemeral seen and watched by B, then A's session closes: B must get the deletion events
 * before its next reply, and then see the node gone.
 */
function sessionCloseScene(prefix: string): Step[] {
  const ephemeral = `${prefix}/ephemeral`;
  const read = (kind: 'exists' | 'getChildren', path: string): Step => ({
    session: 'B', action: 'request', request: { kind, path, watch: true },
  });
  return [
    { session: 'A', action: 'request', request: { kind: 'create', opcode: OpCode.create2,
      path: ephemeral, data: Buffer.from('e'), acl: world, flags: CreateFlag.ephemeral, ttl: -1 } },
    read('exists', ephemeral),
    read('getChildren', prefix),
    { session: 'A', action: 'closeSession' },
    read('exists', ephemeral),
    read('getChildren', prefix),
  ];
}

/**
 * A soft count quota on the run's root, made as zkCli's setquota makes it, so every write of the
 * run also moves its zookeeper_stats; the last reads compare that text. No randomness is drawn,
 * so the rest of the sequence is what it was without the quota.
 */
function quotaSteps(prefix: string): Step[] {
  const create = (path: string, data: string): Step => ({
    session: 'A', action: 'request', request: { kind: 'create', opcode: OpCode.create,
      path, data: Buffer.from(data), acl: world, flags: 0, ttl: -1 },
  });
  const quotaPath = `/zookeeper/quota${prefix}`;
  return [
    create(quotaPath, ''),
    create(`${quotaPath}/zookeeper_limits`, 'count=1000,bytes=-1'),
    create(`${quotaPath}/zookeeper_stats`, 'count=0,bytes=0'),
  ];
}

function quotaStatsRead(prefix: string, session: SessionSlot): Step {
  const path = `/zookeeper/quota${prefix}/zookeeper_stats`;
  return { session, action: 'request', request: { kind: 'getData', path, watch: false } };
}

export function generateSteps(seed: number, count: number): Step[] {
  const random = new Random(seed);
  const prefix = prefixFor(seed);
  const generator = new StepGenerator(random, prefix);
  const steps: Step[] = [{
    session: 'A',
    action: 'request',
    request: { kind: 'create', opcode: 1, path: prefix, data: Buffer.alloc(0), acl: world,
      flags: 0, ttl: -1 },
  }, ...quotaSteps(prefix)];
  const closeAt = Math.floor(count * (0.4 + 0.3 * random.next()));
  for (let index = 1; index < count; index++) {
    if (index === closeAt) {
      steps.push(...sessionCloseScene(prefix));
      continue;
    }
    const session: SessionSlot = random.chance(0.6) ? 'A' : 'B';
    steps.push({ session, action: 'request', request: generator.request() });
  }
  // A read on each session last, so every watch event of the run lands before some reply.
  for (const session of ['A', 'B'] as const) {
    steps.push({ session, action: 'request', request: { kind: 'sync', path: prefix } });
    steps.push(quotaStatsRead(prefix, session));
  }
  return steps;
}

/** A readable op: buffers shortened, so a 1 MiB setData prints as its length. */
export function describeStep(step: Step | undefined): string {
  if (step === undefined) return '(after the last step)';
  if (step.action === 'closeSession') return `${step.session}: closeSession`;
  const request: ClientRequest = step.request;
  const text = JSON.stringify(request, (key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    const buffer = value as { type?: string; data?: number[] };
    if (buffer?.type === 'Buffer' && Array.isArray(buffer.data)) {
      const bytes = Buffer.from(buffer.data);
      return bytes.length > 32 ? `<${bytes.length} bytes>` : bytes.toString('latin1');
    }
    return value;
  });
  return `${step.session}: ${opName(opcodeOf(request))} ${text}`;
}
