// Figures for snapshot compression (`npm run bench:snap -- --mode files`): a tree of N znodes is
// built in memory and written as a snapshot file with each snapshot.compression.method, then
// checked and restored from it, through the same code a server uses; size and times reported.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFiles, nodeFileWriting } from '../storage/node-files.js';
import { restoreSnapshotFile } from '../storage/recovery.js';
import { snapshotCompressions } from '../storage/snapshot-compression.js';
import { checkSnapshotFile, writeSnapshot } from '../storage/snapshot-file.js';
import { DataTree } from '../tree/data-tree.js';

export interface SnapshotFigure {
  method: string;
  bytes: number;
  writeMs: number;
  readMs: number;
}

/** A tree of `nodes` znodes of `dataBytes` each (half repetitive text, half random bytes). */
function sampleTree(nodes: number, dataBytes: number): DataTree {
  const tree = new DataTree();
  const auth = { ids: [], superUser: true };
  const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  const time = Date.now();
  const sessionId = 1n;
  tree.apply({ zxid: 1, time, sessionId, cxid: 0, body: { type: 'createSession', sessionId,
    timeoutMs: 30_000, password: Buffer.alloc(16) } });
  for (let index = 0; index < nodes; index++) {
    const text = Buffer.from(`{"id":${index},"owner":"service-${index % 97}","state":"ok"}`);
    const data = Buffer.alloc(dataBytes);
    for (let at = 0; at < dataBytes / 2; at += text.length) text.copy(data, at);
    for (let at = Math.floor(dataBytes / 2); at < dataBytes; at++) data[at] = (index * at) & 0xff;
    tree.apply({ zxid: index + 2, time, sessionId, cxid: index, body: { type: 'write', auth,
      request: { kind: 'create', opcode: 1, path: `/n${index}`, data, acl, flags: 0, ttl: 0 },
    } });
  }
  return tree;
}

export async function measureSnapshotCompression(
  nodes: number,
  dataBytes: number,
): Promise<SnapshotFigure[]> {
  const tree = sampleTree(nodes, dataBytes);
  const figures: SnapshotFigure[] = [];
  for (const method of snapshotCompressions) {
    const dir = mkdtempSync(join(tmpdir(), 'corral-snapshot-figures-'));
    try {
      const writeStart = performance.now();
      const { file, bytes } = await writeSnapshot(nodeFileWriting, dir, tree.capture(),
        () => false, method);
      const writeMs = performance.now() - writeStart;
      const readStart = performance.now();
      checkSnapshotFile(nodeFiles, file, tree.lastZxid);
      restoreSnapshotFile(nodeFiles, new DataTree(), file, tree.lastZxid);
      figures.push({ method, bytes, writeMs, readMs: performance.now() - readStart });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}
