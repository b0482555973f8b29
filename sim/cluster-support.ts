// What tests and schedules hand the cluster harness besides faults: its default timing and
// storage settings, txn bodies as a client's request would become (a create, a session), and
// the drains that let a step's continuations run.
import type { ReplicaTiming } from '../machines/replica.js';
import type { WriteRequest } from '../protocol/requests.js';
import type { TxnBody } from '../protocol/txn.js';
import type { ServerId } from '../protocol/peer.js';
import { membershipOfIds, type VersionedMembership } from '../protocol/membership.js';
import type { StorageSettings } from '../storage/replica-storage.js';
import { openAclUnsafe } from '../tree/acl.js';
import type { TurnQueue } from './replica-host.js';
import type { SimulatedStorageBackend } from './storage-backend.js';

/** Small enough that simulated minutes pass in few steps; ratios as ZooKeeper's sample config. */
export const clusterTimingDefaults: ReplicaTiming = {
  tickMs: 100,
  initLimitTicks: 10,
  syncLimitTicks: 5,
};

/**
 * Snapshots every few dozen txns, keeping few: the simulator's short runs then take snapshots,
 * purge the log and sync lagging learners by SNAP, all through the real storage logic.
 */
export const clusterStorageDefaults: Partial<StorageSettings> = {
  snapCount: 40,
  snapRetainCount: 2,
  txnsRetainedMin: 20,
};

/** A create of `path` as the leader pipeline would hand it to the machine. */
export function createTxnBody(path: string, data = ''): TxnBody {
  const request: WriteRequest = {
    kind: 'create',
    opcode: 1,
    path,
    data: Buffer.from(data),
    acl: [...openAclUnsafe],
    flags: 0,
    ttl: -1,
  };
  return { type: 'write', request, auth: { ids: [], superUser: true } };
}

/** The session the harness's writes run in (a write outside a live session is rejected). */
export const clusterSessionId = 1n;

export function createSessionBody(sessionId = clusterSessionId): TxnBody {
  return { type: 'createSession', sessionId, timeoutMs: 30_000, password: Buffer.alloc(16) };
}

/**
 * Lets every continuation the last step made runnable (storage completions and what they cause)
 * run. The simulated world has no real I/O, so its continuations are all promise jobs: enough
 * hops of the microtask queue reach quiescence without a turn of Node's event loop (which costs
 * a poll of the kernel each time). Every so often a real turn is taken all the same: Node runs
 * process.nextTick callbacks (a connection's uncork) only once the microtask queue is empty, and
 * a run that never lets it empty would keep them, and what they hold, for ever.
 */
export async function drainMicrotasks(): Promise<void> {
  drains++;
  if (drains % drainsPerEventLoopTurn === 0) {
    await new Promise((resolve) => setImmediate(resolve));
    return;
  }
  for (let hop = 0; hop < microtaskHopsPerDrain; hop++) await undefined;
}

/** Promise jobs a drain waits through: deeper than any chain a step starts (a storage
 * completion's reaches the machine and the next storage request in about a dozen). */
const microtaskHopsPerDrain = 16;
/** Drains between two real turns of Node's event loop. */
const drainsPerEventLoopTurn = 64;
let drains = 0;

/** A new run starts counting drains afresh: a seed replays alike alone or after others. */
export function restartDrainCount(): void {
  drains = 0;
}

/**
 * Waits for `work` (a replica's start: opening its disk, recovery), making that disk's operations
 * durable and running the replica's turns meanwhile: a starting process is not interrupted.
 */
export async function pumpDisk<Result>(
  disk: SimulatedStorageBackend,
  turns: TurnQueue,
  work: Promise<Result>,
): Promise<Result> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  finished.catch(() => undefined);
  while (!done) {
    disk.flush();
    turns.run();
    await drainMicrotasks();
  }
  return finished;
}

/**
 * With reconfig, the membership each replica starts with: the voters and observers, and for a
 * spare (a replica outside them) the same plus itself as a participant, as ZooKeeper's guide has
 * a server join; version 0, the static configuration.
 */
export function startingMemberships(
  voters: readonly ServerId[],
  observers: readonly ServerId[],
  members: readonly ServerId[],
): Map<ServerId, VersionedMembership> {
  const initial = membershipOfIds(voters, observers);
  const result = new Map<ServerId, VersionedMembership>();
  for (const id of members) {
    const spare = !initial.servers.some((server) => server.id === id);
    const own = spare ? membershipOfIds([...voters, id], observers) : initial;
    result.set(id, { ...own, version: 0 });
  }
  return result;
}

/**
 * The starting memberships with zoo.cfg's site.N lines (tree broadcast): each replica's view
 * names the sites of its own members.
 */
export function withSites(
  voters: readonly ServerId[],
  observers: readonly ServerId[],
  members: readonly ServerId[],
  sites: Readonly<Record<ServerId, string>>,
): Map<ServerId, VersionedMembership> {
  const result = new Map<ServerId, VersionedMembership>();
  for (const [id, membership] of startingMemberships(voters, observers, members)) {
    const listed = new Set(membership.servers.map((server) => server.id));
    const named = Object.entries(sites).filter(([member]) => listed.has(Number(member)));
    result.set(id, { ...membership, sites: Object.fromEntries(named) });
  }
  return result;
}
