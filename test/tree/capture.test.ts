// Snapshot captures are copy-on-write (tree/snapshot.ts): records read long after the capture
// began, with txns applied in between, must still describe the tree at the capture's zxid.

import { describe, expect, it } from 'vitest';
import type { ACL } from '../../protocol/records.js';
import { epochOfZxid, makeZxid } from '../../protocol/zxid.js';
import { DataTree } from '../../tree/data-tree.js';
import type { NodeRecord, TreeCapture } from '../../tree/snapshot.js';
import { TxnStream, treeOf } from '../storage/fixtures.js';

interface ReadCapture {
  records: NodeRecord[];
  acls: Array<readonly ACL[]>;
}

/** Reads every record, applying `txnsPerRecord` of `later` before each read. */
function readWhileApplying(
  tree: DataTree,
  capture: TreeCapture,
  later: TxnStream,
  txnsPerRecord: number,
): ReadCapture {
  const read: ReadCapture = { records: [], acls: [] };
  for (let index = 0; index < capture.nodeCount; index++) {
    for (const txn of later.take(txnsPerRecord)) tree.apply(txn);
    // Data read in place is valid until the tree next changes: kept, it is copied at once.
    const record = capture.record(index);
    const data = record[1];
    read.records.push(data === null ? record
      : [record[0], Buffer.from(data), ...record.slice(2)] as NodeRecord);
    read.acls.push(...capture.newAcls());
  }
  return read;
}

function restoredFrom(capture: TreeCapture, read: ReadCapture): DataTree {
  const restored = new DataTree({ extendedTypesEnabled: true });
  restored.restore(capture.zxid, (restorer) => {
    restorer.addAcls(read.acls);
    for (const record of read.records) restorer.node(record);
    for (const session of capture.sessions) restorer.session(session);
  });
  return restored;
}

describe('tree capture (copy-on-write)', () => {
  it.each([1, 2, 3, 4])(
    'records read between later creates, deletes, setData, setACL and multis give the state at ' +
      'the capture zxid (seed %i)',
    (seed) => {
      const stream = new TxnStream(seed);
      const tree = treeOf(stream.take(2000));
      const expected = tree.digest();
      const capture = tree.capture();
      expect(capture.zxid).toBe(tree.lastZxid);
      const read = readWhileApplying(tree, capture, stream, 5);
      capture.release();
      expect(tree.digest()).not.toBe(expected);
      expect(restoredFrom(capture, read).digest()).toBe(expected);
    },
  );

  it('two overlapping captures each keep their own zxid', () => {
    const stream = new TxnStream(9);
    const tree = treeOf(stream.take(1500));
    const firstDigest = tree.digest();
    const first = tree.capture();
    for (const txn of stream.take(400)) tree.apply(txn);
    const secondDigest = tree.digest();
    const second = tree.capture();
    const readSecond = readWhileApplying(tree, second, stream, 3);
    const readFirst = readWhileApplying(tree, first, stream, 3);
    first.release();
    second.release();
    expect(secondDigest).not.toBe(firstDigest);
    expect(restoredFrom(first, readFirst).digest()).toBe(firstDigest);
    expect(restoredFrom(second, readSecond).digest()).toBe(secondDigest);
  });

  it('a released capture can no longer be read', () => {
    const tree = treeOf(new TxnStream(2).take(200));
    const capture = tree.capture();
    expect(capture.record(0)[0]).toBe('/');
    capture.release();
    expect(() => capture.record(0)).toThrow(/released/);
  });

  // Found by the simulator (seed 503520): a capture named by the epoch a replica had just begun
  // to serve in was deleted by a TRUNC to the end of the previous epoch, whose state it held.
  it('is named by the last txn applied, not by an epoch start the tree advanced to', () => {
    const tree = treeOf(new TxnStream(4).take(50));
    const lastTxn = tree.lastZxid;
    tree.advanceTo(makeZxid(epochOfZxid(lastTxn) + 1, 0));
    expect(tree.lastZxid).toBe(makeZxid(epochOfZxid(lastTxn) + 1, 0));
    const capture = tree.capture();
    expect(capture.zxid).toBe(lastTxn);
    capture.release();
  });
});
