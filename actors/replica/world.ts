// What a world gives the one replica host (actors/replica/host.ts): its peer network, its storage,
// its clock and timers, and when the current turn of its event loop is over. Production supplies
// TCP, LMDB and the system clock (actors/replica/tcp-world.ts); the simulator its memory network,
// the same storage logic over a faulty in-memory backend, and simulated clocks (sim/). Nothing
// else differs between the two.
import type { Logger } from 'pino';
import type { ReplicaStorage } from '../../storage/replica-storage.js';
import type { Transport } from '../../transport/transport.js';
import type { VersionedMembership } from '../../protocol/membership.js';

/** Time as the host and its machine see it: XState's Clock (timers) plus a reading. */
export interface HostClock {
  /** Milliseconds: the leader stamps them into txns (ctime/mtime); statistics read them. */
  now(): number;
  setTimeout(work: () => void, timeoutMs: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface ReplicaWorld {
  /**
   * Opens the peer links (TCP, or the simulator's memory network). Called once, when the host is
   * ready to hear from peers: nothing a peer says before then can be lost.
   */
  openNetwork(): Promise<Transport>;
  /** The replica's durable state: log, epochs, snapshots, over the world's backend. */
  storage: ReplicaStorage;
  clock: HostClock;
  /**
   * Runs `work` once the current turn of the event loop is over (setImmediate in production; a
   * step the simulator's scheduler chooses). Requests read meanwhile form one batch.
   */
  nextTurn(work: () => void): void;
  logger: Logger;
  /**
   * Storage failed under the replica: it cannot go on without lying about durability. Production
   * exits (a supervisor restarts it); the simulator stops the replica as a crash would.
   */
  fail(error: unknown): void;
  /**
   * A newer configuration became active (a committed reconfig, or one a SNAP or the log
   * brought): production relinks its peers and writes the dynamic config file; the simulator
   * keeps it for the replica's restart.
   */
  membershipChanged?(membership: VersionedMembership): void;
}

/** The system's clock, for production. */
export const systemClock: HostClock = {
  now: () => Date.now(),
  setTimeout: (work, timeoutMs) => setTimeout(work, timeoutMs),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};
