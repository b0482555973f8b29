// The snappy binding, loaded the first time a snapshot is compressed or read with it. Most
// servers never use snappy (snapshot.compression.method is off by default, and ZooKeeper's
// snappy snapshots are only met on import), and loading the native module costs ~25 ms of
// every server start.

import { createRequire } from 'node:module';

type Snappy = typeof import('snappy');

let binding: Snappy | undefined;

export function snappy(): Snappy {
  binding ??= createRequire(import.meta.url)('snappy') as Snappy;
  return binding;
}
