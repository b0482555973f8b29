// Production's way in: a replica's storage in its data dir (LMDB and snapshot files), for the
// server, the tools and the tests that run against a real disk.

import { lmdbStorageBackend } from './lmdb-backend.js';
import type { StorageLogger } from './recovery.js';
import { ReplicaStorage, type SnapshotTaken, type StorageSettings } from './replica-storage.js';

/** ReplicaStorage.open over the LMDB environment and snapshot files under `dataDir`. */
export function openReplicaStorage(
  dataDir: string,
  settings: Partial<StorageSettings>,
  logger: StorageLogger,
  snapshotTaken: (taken: SnapshotTaken) => void = () => undefined,
): Promise<ReplicaStorage> {
  return ReplicaStorage.open(lmdbStorageBackend(dataDir), settings, logger, snapshotTaken);
}
