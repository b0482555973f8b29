// Null znode data in the data tree: ZooKeeper keeps data written as null apart from empty data
// (getData answers null, Stat.dataLength is 0 for both), through create, setData, multi, a
// failed multi's rollback, multiRead, sizes, digests and snapshot captures.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { CreateRequest, SetDataRequest } from '../../protocol/requests.js';
import { Harness, anonymous, checkOp, createOp } from './helpers.js';

function createWith(path: string, data: Buffer | null): CreateRequest {
  return { ...(createOp(path) as CreateRequest), data };
}

function setDataWith(path: string, data: Buffer | null, version = -1): SetDataRequest {
  return { kind: 'setData', path, data, version };
}

/** getData's data and dataLength, as a client sees them. */
function read(harness: Harness, path: string): [Buffer | null, number] {
  const result = harness.tree.getData(path, anonymous);
  if (result.body.kind !== 'data') throw new Error(`getData ${path}: ${result.err}`);
  return [result.body.data, result.body.stat.dataLength];
}

const empty = Buffer.alloc(0);

describe('null data in the tree', () => {
  it.each([
    ['null', null, 0],
    ['empty', empty, 0],
    ['bytes', Buffer.from('abc'), 3],
  ] as const)('create with %s data: getData gives it back, dataLength %d',
    (_name, data, length) => {
      const harness = new Harness();
      expect(harness.write(createWith('/a', data)).err).toBe(ErrorCode.ok);
      expect(read(harness, '/a')).toEqual([data, length]);
      expect(harness.tree.statOf('/a')?.dataLength).toBe(length);
    });

  it.each([
    ['bytes to null', Buffer.from('abc'), null],
    ['null to empty', null, empty],
    ['empty to null', empty, null],
    ['null to bytes', null, Buffer.from('x')],
  ] as const)('setData %s: new data, version 1', (_name, before, after) => {
    const harness = new Harness();
    harness.write(createWith('/a', before));
    expect(harness.write(setDataWith('/a', after)).err).toBe(ErrorCode.ok);
    expect(read(harness, '/a')).toEqual([after, after?.length ?? 0]);
    expect(harness.tree.statOf('/a')?.version).toBe(1);
  });

  it('multi creates and sets null data; multiRead answers null and empty apart', () => {
    const harness = new Harness();
    harness.write(createWith('/b', Buffer.from('was')));
    const outcome = harness.write({ kind: 'multi', ops: [
      createWith('/a', null), createWith('/e', empty), setDataWith('/b', null),
    ] });
    expect(outcome.err).toBe(ErrorCode.ok);
    const result = harness.tree.multiRead([
      { kind: 'getData', path: '/a', watch: false },
      { kind: 'getData', path: '/e', watch: false },
      { kind: 'getData', path: '/b', watch: false },
    ], anonymous);
    expect(result.body.kind === 'multi' && result.body.results.map((op) =>
      op.kind === 'getData' ? op.data : op.kind)).toEqual([null, empty, null]);
  });

  it('a failed multi puts back null data and the data size it replaced', () => {
    const harness = new Harness();
    harness.write(createWith('/a', null));
    harness.write(createWith('/b', Buffer.from('bytes')));
    const size = harness.tree.approximateDataSize;
    const digest = harness.tree.digest();
    const outcome = harness.write({ kind: 'multi', ops: [
      setDataWith('/a', Buffer.from('new')), setDataWith('/b', null), checkOp('/a', 7),
    ] });
    expect(outcome.body).toMatchObject({ results: [{ err: 0 }, { err: 0 },
      { err: ErrorCode.badVersion }] });
    expect(read(harness, '/a')).toEqual([null, 0]);
    expect(read(harness, '/b')).toEqual([Buffer.from('bytes'), 5]);
    expect(harness.tree.approximateDataSize).toBe(size);
    expect(harness.tree.digest()).toBe(digest);
  });

  it('null data counts 0 bytes in the data size, as empty data does', () => {
    const harness = new Harness();
    const base = harness.tree.approximateDataSize;
    harness.write(createWith('/a', null));
    expect(harness.tree.approximateDataSize).toBe(base + '/a'.length);
    harness.write(setDataWith('/a', Buffer.from('four')));
    expect(harness.tree.approximateDataSize).toBe(base + '/a'.length + 4);
    harness.write(setDataWith('/a', null));
    expect(harness.tree.approximateDataSize).toBe(base + '/a'.length);
  });

  it('digests null and empty data differently (a replica that confused them would show)', () => {
    const digestWith = (data: Buffer | null) => {
      const harness = new Harness();
      harness.write(createWith('/a', data));
      return harness.tree.digest();
    };
    expect(digestWith(null)).not.toBe(digestWith(empty));
    expect(digestWith(null)).toBe(digestWith(null));
  });

  it('a capture keeps null data a later setData replaces, and the reverse', () => {
    const harness = new Harness();
    harness.write(createWith('/n', null));
    harness.write(createWith('/b', Buffer.from('b')));
    const capture = harness.tree.capture();
    harness.write(setDataWith('/n', Buffer.from('later')));
    harness.write(setDataWith('/b', null));
    const records = Array.from({ length: capture.nodeCount }, (_, index) => capture.record(index));
    capture.release();
    const dataOf = (path: string) => records.find((record) => record[0] === path)?.[1];
    expect(dataOf('/n')).toBeNull();
    expect(dataOf('/b')).toEqual(Buffer.from('b'));
  });
});
