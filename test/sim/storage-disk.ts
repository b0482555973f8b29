// The simulated disk as the storage tests drive it: flushed on the next turn by default (as a
// disk that keeps up), by hand when a test says so, with turns from the real event loop.

import { SimulatedStorageBackend, type SimulatedStorageOptions } from
  '../../sim/storage-backend.js';
import { ReplicaStorage, type StorageSettings } from '../../storage/replica-storage.js';
import { DataTree } from '../../tree/data-tree.js';
import { seededRandom } from '../storage/fixtures.js';

export class DiskDriver {
  readonly disk: SimulatedStorageBackend;
  /** Flush whatever becomes pending on the next turn; off, only flush() makes writes durable. */
  autoFlush = true;
  readonly warnings: string[] = [];
  readonly logger = {
    info: () => undefined,
    warn: (_details: object, message: string) => void this.warnings.push(message),
  };

  constructor(seed = 1, options: Partial<SimulatedStorageOptions> = {}) {
    this.disk = new SimulatedStorageBackend({
      dataDir: '/simulated/replica-1',
      nextTurn: (work) => setImmediate(work),
      onPending: () => {
        if (this.autoFlush) setImmediate(() => this.disk.flush());
      },
      random: seededRandom(seed),
      ...options,
    });
  }

  /** Opens ReplicaStorage on the disk, flushing what opening writes whatever autoFlush says. */
  async open(settings: Partial<StorageSettings> = {}): Promise<ReplicaStorage> {
    const automatic = this.autoFlush;
    this.autoFlush = true;
    try {
      const storage = await ReplicaStorage.open(this.disk, settings, this.logger);
      await turns();
      return storage;
    } finally {
      this.autoFlush = automatic;
    }
  }
}

/** Lets every continuation that can run, run: a few turns of the event loop. */
export async function turns(count = 4): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Restores as the server does: snapshot, then replay of the log after it. */
export async function recover(storage: ReplicaStorage): Promise<DataTree> {
  const tree = new DataTree({ extendedTypesEnabled: true });
  await storage.restoreInto(tree);
  for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
  return tree;
}

/** The zxids a storage's log holds, in order. */
export function loggedZxids(storage: ReplicaStorage): number[] {
  return [...storage.readFrom(0)].map((txn) => txn.zxid);
}
