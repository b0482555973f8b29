// ZooKeeper snapshots read as FileSnap reads them: plain, gzip and snappy-java streams, each
// checked by its Adler-32 seal; a damaged or torn newest snapshot is passed over for an older
// one; and a fuzzy snapshot (holding txns after the zxid it is named by) plus the log after its
// zxid gives the same tree as the whole history, as ZooKeeper's idempotent replay does.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZooKeeperData } from '../../../storage/zookeeper/data-dir.js';
import { ZooKeeperFormatError, type ZooKeeperCompression } from
  '../../../storage/zookeeper/format.js';
import { decompressSnapshot } from '../../../storage/zookeeper/snap-stream.js';
import { readSnapshot, writeSnapshot } from '../../../storage/zookeeper/snapshot.js';
import { describeTree, history, logFile, treeAfter, writeZooKeeperDir } from
  './zookeeper-fixtures.js';

let root = '';
let count = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'corral-zk-snap-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entries = history();
const zxidAt = (index: number): number => entries[index]!.header.zxid;
const compressions: ZooKeeperCompression[] = ['none', 'gz', 'snappy'];

describe('ZooKeeper snapshots', () => {
  it.each(compressions)('reads back a %s snapshot with its sessions and every field', (method) => {
    const dir = join(root, `dir-${count++}`);
    const tree = treeAfter(entries);
    writeZooKeeperDir(dir, { snapshots: [{ zxid: zxidAt(entries.length - 1), tree,
      compression: method }] });
    const loaded = loadZooKeeperData({ dataDir: join(dir, 'version-2') });
    expect(basename(loaded.snapshot!.file)).toMatch(method === 'none' ? /^snapshot\.[0-9a-f]+$/
      : new RegExp(`\\.${method}$`));
    expect(loaded.snapshot!.digest?.zxid).toBe(0);
    expect(describeTree(loaded.tree)).toEqual(describeTree(tree));
    expect(loaded.zxid).toBe(zxidAt(entries.length - 1));
  });

  it.each(compressions)('passes over a %s newest snapshot with a damaged byte', (method) => {
    const dir = join(root, `dir-${count++}`);
    const versionDir = writeZooKeeperDir(dir, {
      snapshots: [
        { zxid: zxidAt(5), tree: treeAfter(entries.slice(0, 6)), compression: method },
        { zxid: zxidAt(10), tree: treeAfter(entries.slice(0, 11)), compression: method },
      ],
      logs: [{ zxid: zxidAt(0), file: logFile(entries) }],
    });
    const newest = join(versionDir, `snapshot.${zxidAt(10).toString(16)}${
      method === 'none' ? '' : `.${method}`}`);
    const bytes = readFileSync(newest);
    // A byte in the middle: inside a znode's data or stat (gzip: its CRC-32 catches it too;
    // snappy: the chunk no longer uncompresses, or the Adler-32 seal fails).
    bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
    writeFileSync(newest, bytes);
    const loaded = loadZooKeeperData({ dataDir: dir });
    expect(loaded.skippedSnapshots.map((skipped) => skipped.file)).toEqual([newest]);
    expect(loaded.snapshot!.zxid).toBe(zxidAt(5));
    expect(describeTree(loaded.tree)).toEqual(describeTree(treeAfter(entries)));
  });

  it('detects a changed byte by the Adler-32 seal alone', () => {
    const raw = writeSnapshot(treeAfter(entries));
    const damaged = Buffer.from(raw);
    // The large data of /app's node: a byte whose change leaves every record readable.
    const at = damaged.indexOf(Buffer.from('held'));
    damaged[at] = 0x48;
    expect(() => readSnapshot(damaged)).toThrow(/checksum mismatch/);
    expect(readSnapshot(raw).tree.nodes.get('/app/lock')?.data?.toString()).toBe('held');
  });

  it('passes over a torn newest snapshot, and refuses when none is valid', () => {
    const dir = join(root, `dir-${count++}`);
    const versionDir = writeZooKeeperDir(dir, {
      snapshots: [{ zxid: zxidAt(3), tree: treeAfter(entries.slice(0, 4)) },
        { zxid: zxidAt(8), tree: treeAfter(entries.slice(0, 9)) }],
      logs: [{ zxid: zxidAt(0), file: logFile(entries) }],
    });
    const newest = join(versionDir, `snapshot.${zxidAt(8).toString(16)}`);
    writeFileSync(newest, readFileSync(newest).subarray(0, 100));
    const loaded = loadZooKeeperData({ dataDir: dir });
    expect(loaded.snapshot!.zxid).toBe(zxidAt(3));
    expect(describeTree(loaded.tree)).toEqual(describeTree(treeAfter(entries)));
    const older = join(versionDir, `snapshot.${zxidAt(3).toString(16)}`);
    writeFileSync(older, readFileSync(older).subarray(0, 50));
    expect(() => loadZooKeeperData({ dataDir: dir })).toThrow(ZooKeeperFormatError);
  });

  // A snapshot named by zxid k but written while txns up to m were applied (FileSnap is fuzzy).
  const fuzzy = [[2, 2], [2, 6], [4, 9], [6, 12], [9, 15], [11, 17], [0, 17]] as const;
  it.each(fuzzy)('replays the log onto a snapshot named %i that holds txns up to %i',
    (named, holds) => {
      const dir = join(root, `dir-${count++}`);
      writeZooKeeperDir(dir, {
        snapshots: [{ zxid: zxidAt(named), tree: treeAfter(entries.slice(0, holds + 1)),
          compression: 'gz' }],
        logs: [{ zxid: zxidAt(0), file: logFile(entries) }],
      });
      const loaded = loadZooKeeperData({ dataDir: dir });
      expect(loaded.txnsReplayed).toBe(entries.length - named - 1);
      expect(describeTree(loaded.tree)).toEqual(describeTree(treeAfter(entries)));
    });

  it('decompresses what it compressed for every method', () => {
    const raw = writeSnapshot(treeAfter(entries));
    for (const method of compressions) {
      const dir = join(root, `dir-${count++}`);
      const versionDir = writeZooKeeperDir(dir, { snapshots: [{ zxid: 5, tree: treeAfter(
        entries), compression: method }] });
      const name = `snapshot.5${method === 'none' ? '' : `.${method}`}`;
      expect(decompressSnapshot(readFileSync(join(versionDir, name)), method)).toEqual(raw);
    }
  });
});
