import { afterEach, describe, expect, it } from 'vitest';
import { inspectData, NotADataDirError } from '../../cli/inspect-data.js';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

describe('corral inspect-data', () => {
  it('summarises a data dir and dumps log entries from a zxid', async () => {
    const dir = tempDir();
    const quiet = { info: () => undefined, warn: () => undefined };
    const storage = await openReplicaStorage(dir, { snapCount: 100, txnsRetainedMin: 1 }, quiet);
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(2).take(250));
    await storage.settled();
    await storage.epochs.setAcceptedEpoch(3);
    await storage.close();
    const lines: string[] = [];
    await inspectData({ dataDir: dir, dump: true, fromZxid: 0xf0, limit: 3 }, (line) =>
      lines.push(line),
    );
    const text = lines.join('\n');
    expect(text).toMatch(/format version\s+2/);
    expect(text).toMatch(/acceptedEpoch\s+3/);
    expect(text).toMatch(/snapshots\s+0xc8 0x64/);
    const atSnapshot = treeOf(new TxnStream(2).take(200)).nodeCount;
    expect(text).toMatch(new RegExp(`znodes \\(newest\\)\\s+${atSnapshot}\n`));
    expect(text).toMatch(/log zxids\s+0x\w+ \.\. 0xfa/);
    expect(lines.filter((line) => /^0xf[0-2]  /.test(line))).toHaveLength(3);
  });

  it('refuses a directory without corral data', async () => {
    await expect(inspectData({ dataDir: tempDir() }, () => undefined)).rejects.toThrow(
      NotADataDirError,
    );
  });
});
