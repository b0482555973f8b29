// ZooKeeper's txn logs read as FileTxnLog reads them: every txn kind replayed, the zero-filled
// preallocated tail taken as the end, a torn last record (cut short, without its end marker,
// or failing its checksum with nothing after it) never applied, and corruption with data after
// it refused; a torn older log does not stop the newer logs, as FileTxnIterator moves on.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZooKeeperData } from '../../../storage/zookeeper/data-dir.js';
import { CorruptTxnLogError } from '../../../storage/zookeeper/txn-log.js';
import {
  describeTree,
  history,
  logFile,
  sessionA,
  treeAfter,
  writeZooKeeperDir,
} from './zookeeper-fixtures.js';

let root = '';
let count = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'corral-zk-log-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWithLog(file: Buffer): string {
  const dir = join(root, `dir-${count++}`);
  writeZooKeeperDir(dir, { logs: [{ zxid: history()[0]!.header.zxid, file }] });
  return dir;
}

/** Byte offsets where each record of a log file starts (16-byte header, 13 bytes around each
 * txn). */
function recordOffsets(file: Buffer, records: number): number[] {
  const offsets = [];
  let offset = 16;
  for (let index = 0; index < records; index++) {
    offsets.push(offset);
    offset += 13 + file.readInt32BE(offset + 8);
  }
  offsets.push(offset);
  return offsets;
}

describe('ZooKeeper txn log replay', () => {
  const entries = history();
  const last = entries.length;

  it('replays every txn kind up to the preallocated zero tail', () => {
    const loaded = loadZooKeeperData({ dataDir: dirWithLog(logFile(entries)) });
    expect(loaded.txnsReplayed).toBe(last);
    expect(loaded.tornTails).toEqual([]);
    expect(loaded.zxid).toBe(entries.at(-1)!.header.zxid);
    expect(describeTree(loaded.tree)).toEqual(describeTree(treeAfter(entries)));
    const tree = loaded.tree;
    expect(tree.nodes.get('/app/a')?.data?.toString()).toBe('v1');
    expect(tree.nodes.get('/app/a')?.stat.aversion).toBe(1);
    expect(tree.nodes.get('/app/m1')).toBeDefined();
    expect(tree.nodes.has('/app/gone') || tree.nodes.has('/app/empty')).toBe(false);
    expect(tree.nodes.get('/app/lock')?.stat.ephemeralOwner).toBe(sessionA);
    expect([...tree.sessions.keys()]).toEqual([sessionA]);
    expect(tree.nodes.get('/zookeeper/config')?.stat.version).toBe(1);
  });

  it.each([
    ['cut short in the middle of the last record', (file: Buffer, at: number[]) =>
      file.subarray(0, at[last - 1]! + 20)],
    ['cut inside the last record\'s checksum', (file: Buffer, at: number[]) =>
      file.subarray(0, at[last - 1]! + 5)],
    ['without the last record\'s end marker', (file: Buffer, at: number[]) => {
      const torn = Buffer.from(file);
      torn[at[last]! - 1] = 0;
      return torn;
    }],
    ['with the last record failing its checksum', (file: Buffer, at: number[]) => {
      const torn = Buffer.from(file);
      torn[at[last - 1]! + 14] ^= 0xff;
      return torn;
    }],
  ])('stops before a torn tail %s, applying none of it', (_name, tear) => {
    const file = logFile(entries);
    const loaded = loadZooKeeperData({ dataDir: dirWithLog(tear(file, recordOffsets(file,
      last))) });
    expect(loaded.txnsReplayed).toBe(last - 1);
    expect(loaded.zxid).toBe(entries.at(-2)!.header.zxid);
    expect(loaded.tornTails).toHaveLength(1);
    expect(describeTree(loaded.tree)).toEqual(describeTree(treeAfter(entries.slice(0, -1))));
  });

  it('refuses a record failing its checksum when records follow it', () => {
    const file = Buffer.from(logFile(entries));
    file[recordOffsets(file, last)[3]! + 14] ^= 0xff;
    expect(() => loadZooKeeperData({ dataDir: dirWithLog(file) }))
      .toThrow(CorruptTxnLogError);
  });

  it('moves on to the next log after a torn older one, as FileTxnIterator does', () => {
    const dir = join(root, `dir-${count++}`);
    const older = logFile(entries.slice(0, 5), 0);
    writeZooKeeperDir(dir, { logs: [
      { zxid: entries[0]!.header.zxid, file: older.subarray(0, older.length - 3) },
      { zxid: entries[5]!.header.zxid, file: logFile(entries.slice(5)) },
    ] });
    const loaded = loadZooKeeperData({ dataDir: dir });
    expect(loaded.tornTails.map((torn) => torn.file)).toEqual([loaded.logFiles[0]]);
    expect(loaded.txnsReplayed).toBe(last - 1);
    expect(loaded.tree.nodes.has('/app/empty')).toBe(false);
  });

  it('refuses a directory that holds neither snapshot nor log', () => {
    const dir = join(root, `dir-${count++}`);
    writeZooKeeperDir(dir, {});
    expect(() => loadZooKeeperData({ dataDir: dir })).toThrow(/no ZooKeeper snapshot or txn log/);
  });

  it('reads logs kept in a separate dataLogDir', () => {
    const dataDir = join(root, `dir-${count++}`);
    writeZooKeeperDir(dataDir, {});
    const logDir = dirWithLog(logFile(entries));
    writeFileSync(join(dataDir, 'version-2', 'currentEpoch'), '1');
    const loaded = loadZooKeeperData({ dataDir, dataLogDir: logDir });
    expect(loaded.txnsReplayed).toBe(last);
    expect(loaded.currentEpoch).toBe(1);
    expect(loaded.acceptedEpoch).toBe(1);
  });
});
