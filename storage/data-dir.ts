// Production's way in: a replica's storage in its data dir (LMDB and snapshot files), for the
// server, the tools and the tests that run against a real disk; and the lock a server holds on
// its data dir (and dataLogDir) while it runs.

import { DataDirLock } from './data-dir-lock.js';
import { lmdbStorageBackend } from './lmdb-backend.js';
import type { StorageLogger } from './recovery.js';
import { ReplicaStorage, type SnapshotTaken, type StorageSettings } from './replica-storage.js';
import { snappy } from './snappy.js';

export { DataDirLock, DataDirLockedError, type DataDirHolder } from './data-dir-lock.js';

/**
 * ReplicaStorage.open over the LMDB environment and snapshot files under `dataDir`;
 * `forceSync: false` (zoo.cfg forceSync=no) stops fsyncing the log, see lmdbFlushOptions.
 */
export function openReplicaStorage(
  dataDir: string,
  settings: Partial<StorageSettings> & { forceSync?: boolean },
  logger: StorageLogger,
  snapshotTaken: (taken: SnapshotTaken) => void = () => undefined,
): Promise<ReplicaStorage> {
  const { forceSync, ...storageSettings } = settings;
  // The binding loads on first use (snappy.ts); storage told to write snappy snapshots loads
  // it now, so a server that cannot stops at startup rather than at its first snapshot.
  if (settings.snapshotCompression === 'snappy') snappy();
  const backend = lmdbStorageBackend(dataDir, forceSync === undefined ? {} : { forceSync });
  // A real data dir's log behind the newest snapshot is checked as it is read, not at startup.
  return ReplicaStorage.open(backend, { startupLogCheck: 'afterSnapshot', ...storageSettings },
    logger, snapshotTaken);
}

/**
 * Locks the data dir and, when it is another directory, the dataLogDir, before anything is
 * opened in them; throws DataDirLockedError naming the process that holds either. The locks
 * last as long as the process (see data-dir-lock.ts).
 */
export async function lockDataDirs(
  dataDir: string,
  dataLogDir: string | undefined,
): Promise<DataDirLock[]> {
  const locks = [await DataDirLock.acquire(dataDir)];
  if (dataLogDir !== undefined && !locks[0]!.covers(dataLogDir)) {
    try {
      locks.push(await DataDirLock.acquire(dataLogDir));
    } catch (error) {
      await locks[0]!.release();
      throw error;
    }
  }
  return locks;
}
