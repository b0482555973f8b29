// The zoo.cfg keys of what a replica stores and checks of its data: how snapshot files are
// compressed (ZooKeeper's snapshot.compression.method) and whether the tree digest is kept
// (ZooKeeper's digest.enabled). ZooKeeper reads both as system properties, so each is taken
// with and without the `zookeeper.` prefix.
import type { SnapshotCompression } from '../../storage/snapshot-compression.js';
import { ValueProblem, valueParsers, type ValueParser } from '../../protocol/config/values.js';

export interface StorageConfig {
  /** snapshot.compression.method: how new snapshots are written; all are read as named. */
  snapshotCompression: SnapshotCompression;
  /** digest.enabled: keep ZooKeeper's tree digest, stamp it into txns, compare it on learners. */
  digestEnabled: boolean;
}

/** ZooKeeper 3.8's defaults: snapshots uncompressed, the digest on. */
export const storageConfigDefaults = {
  snapshotCompression: 'none',
  digestEnabled: true,
} as const satisfies StorageConfig;

/**
 * SnapStream.StreamMode, case-insensitive: `gz`, `snappy`, or empty for uncompressed (`none`
 * too). ZooKeeper takes anything else as uncompressed; corral refuses it, since a misspelt
 * method would silently write what the operator did not ask for.
 */
function parseCompression(value: string): SnapshotCompression {
  const lower = value.toLowerCase();
  if (lower === '' || lower === 'none') return 'none';
  if (lower === 'gz' || lower === 'snappy') return lower;
  throw new ValueProblem('expected gz, snappy, none or an empty value');
}

const rules = {
  'snapshot.compression.method': { field: 'snapshotCompression', parse: parseCompression },
  'digest.enabled': { field: 'digestEnabled', parse: valueParsers.boolean },
} as const satisfies Record<string, { field: keyof StorageConfig; parse: ValueParser }>;

export const storageKeyRules = {
  ...rules,
  'zookeeper.snapshot.compression.method': rules['snapshot.compression.method'],
  'zookeeper.digest.enabled': rules['digest.enabled'],
};
