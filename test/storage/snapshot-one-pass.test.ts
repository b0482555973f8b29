// Recovery restores the newest snapshot as it checks it, in one read of the file: damage found
// late in the file (after many nodes were restored) must still make recovery skip it, exactly
// as the check before the restore did, and leave no trace of it in the recovered tree.

import { appendFileSync, copyFileSync, readdirSync, readFileSync, truncateSync, writeFileSync }
  from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { nodeFiles } from '../../storage/node-files.js';
import { checkSnapshotFile, snapshotName, visitCheckedSnapshot } from
  '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

// Snapshots every 400 txns, all kept, and the whole log.
const settings = { snapCount: 400, snapRetainCount: 10, txnsRetainedMin: 100_000 };
const txns = new TxnStream(21).take(2000);

async function writtenDataDir(): Promise<{ dir: string; snapshots: string[] }> {
  const dir = tempDir('corral-one-pass-');
  const storage = await openReplicaStorage(dir, settings, quiet.logger);
  const tree = new DataTree({ extendedTypesEnabled: true });
  storage.attach(tree);
  await drive(storage, tree, txns);
  await storage.settled();
  await storage.close();
  const snapshots = readdirSync(join(dir, 'snapshots')).filter((name) =>
    /^snapshot\.[0-9a-f]{16}$/.test(name)).sort().map((name) => join(dir, 'snapshots', name));
  return { dir, snapshots };
}

function recorder() {
  const warnings: string[] = [];
  return { warnings, logger: { info: () => undefined,
    warn: (_details: object, message: string) => warnings.push(message) } };
}
const quiet = recorder();

/** Damage that only a read of the whole file finds: a byte flipped, or the end cut off. */
const lateDamage: Array<[string, (file: string) => void]> = [
  ['a byte flipped near the end', (file) => {
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length * 0.9)]! ^= 0x10;
    writeFileSync(file, bytes);
  }],
  ['the end frame cut off', (file) => truncateSync(file, readFileSync(file).length - 20)],
];

async function recovered(dir: string): Promise<{ tree: DataTree; warnings: string[];
  snapshotZxid: number | undefined }> {
  const { warnings, logger } = recorder();
  const storage = await openReplicaStorage(dir, { ...settings, startupLogCheck: 'asReplayed' },
    logger);
  try {
    const tree = new DataTree({ extendedTypesEnabled: true });
    const restored = await storage.restoreInto(tree, { deferDigest: true });
    for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
    return { tree, warnings, snapshotZxid: restored?.zxid };
  } finally {
    await storage.close();
  }
}

describe('the newest snapshot checked as it is restored', () => {
  it.each(lateDamage)('falls back to the older snapshot on %s', async (_name, damage) => {
    const { dir, snapshots } = await writtenDataDir();
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    damage(snapshots.at(-1)!);
    const { tree, warnings, snapshotZxid } = await recovered(dir);
    expect(warnings).toEqual(['skipping a damaged snapshot']);
    expect(snapshotZxid).toBe(Number.parseInt(snapshots.at(-2)!.slice(-16), 16));
    expect(tree.digest()).toBe(treeOf(txns).digest());
  });

  it.each(lateDamage)('replays the whole log into a new tree when every snapshot has %s',
    async (_name, damage) => {
      const { dir, snapshots } = await writtenDataDir();
      for (const file of snapshots) damage(file);
      const { tree, warnings, snapshotZxid } = await recovered(dir);
      expect(snapshotZxid).toBeUndefined();
      expect(warnings).toHaveLength(snapshots.length);
      expect(tree.digest()).toBe(treeOf(txns).digest());
      expect(tree.nodeCount).toBe(treeOf(txns).nodeCount);
    });

  it('refuses exactly the files checkSnapshotFile refuses', async () => {
    const { dir, snapshots } = await writtenDataDir();
    const source = snapshots.at(-1)!;
    const zxid = Number.parseInt(source.slice(-16), 16);
    const bytes = readFileSync(source);
    const firstFrame = bytes.subarray(0, 8 + bytes.readUInt32BE(0));
    const endFrame = (() => {
      // The last frame: walk the frames from the start.
      let at = 0;
      let last = 0;
      while (at < bytes.length) {
        last = at;
        at += 8 + bytes.readUInt32BE(at);
      }
      return bytes.subarray(last);
    })();
    const variants: Array<[string, (file: string) => void, number]> = [
      ['whole', () => undefined, zxid],
      ['named for another zxid', () => undefined, zxid + 1],
      ['a frame after the end frame', (file) => appendFileSync(file, firstFrame), zxid],
      ['a second end frame', (file) => appendFileSync(file, endFrame), zxid],
      ['torn bytes after the end frame', (file) => appendFileSync(file, Buffer.from([0, 0, 1])),
        zxid],
      ...lateDamage.map(([name, damage]): [string, (file: string) => void, number] =>
        [name, damage, zxid]),
    ];
    for (const [name, edit, named] of variants) {
      const file = join(dir, snapshotName(named));
      copyFileSync(source, file);
      edit(file);
      const checked = outcome(() => checkSnapshotFile(nodeFiles, file, named));
      const visited = outcome(() => visitCheckedSnapshot(nodeFiles, file, named, {}));
      expect({ name, visited }).toEqual({ name, visited: checked });
    }
    expect(outcome(() => visitCheckedSnapshot(nodeFiles, source, zxid + 1, {}))).toMatch(
      /header holds zxid/);
  });
});

function outcome(run: () => void): string {
  try {
    run();
    return 'whole';
  } catch (error) {
    return String(error);
  }
}
