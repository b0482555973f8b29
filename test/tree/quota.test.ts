// Quota bookkeeping in the data tree, against what ZooKeeper 3.8's DataTree does with the nodes
// zkCli's setquota writes: stats kept current by create, delete and setData below the quota
// path (the stats node's stat untouched), counted from the subtree when the stats node is made.

import { describe, expect, it } from 'vitest';
import type { WriteRequest } from '../../protocol/requests.js';
import {
  peerSnapshotFormatVersion, restoreTree, snapshotOfTree,
} from '../../storage/peer-snapshot.js';
import { encodeSnapshot } from '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import { limitPathOf, quotaExceededMessage, statPathOf } from '../../tree/quota.js';
import {
  Harness, anonymous, checkOp, createOp, deleteOp, session, setDataOp,
} from './helpers.js';

/** What zkCli's setquota writes for a path with no quota yet (SetQuotaCommand.createQuota). */
export function setQuota(harness: Harness, path: string, limits: string): void {
  let quotaPath = '/zookeeper/quota';
  for (const name of path.split('/').slice(1)) {
    quotaPath += `/${name}`;
    if (!harness.tree.hasNode(quotaPath)) harness.create(quotaPath);
  }
  harness.create(limitPathOf(path), { data: limits });
  harness.create(statPathOf(path), { data: 'count=0,bytes=0' });
}

function statsOf(harness: Harness, path: string): string | undefined {
  const read = harness.tree.getData(statPathOf(path), anonymous);
  return read.body.kind === 'data' ? read.body.data.toString() : undefined;
}

/** /app ("abc") and /app/x (""), with a soft count quota of 10 on /app. */
function appWithQuota(): Harness {
  const harness = new Harness();
  harness.create('/app', { data: 'abc' });
  harness.create('/app/x');
  setQuota(harness, '/app', 'count=10,bytes=-1');
  return harness;
}

describe('quota stats in the data tree', () => {
  it('counts the subtree when the stats node is created, not the zeros zkCli writes', () => {
    const harness = appWithQuota();
    expect(statsOf(harness, '/app')).toBe('count=2,bytes=3');
  });

  it.each<[string, (harness: Harness) => void, string]>([
    ['create below', (h) => h.create('/app/y', { data: 'hello' }), 'count=3,bytes=8'],
    ['create deeper', (h) => h.create('/app/x/deep', { data: '12' }), 'count=3,bytes=5'],
    ['sequential create', (h) => h.create('/app/s-', { flags: 2, data: 'z' }), 'count=3,bytes=4'],
    ['setData longer', (h) => h.write(setDataOp('/app/x', 'abcdefg')), 'count=2,bytes=10'],
    ['setData shorter', (h) => h.write(setDataOp('/app', 'a')), 'count=2,bytes=1'],
    ['delete below', (h) => h.write(deleteOp('/app/x')), 'count=1,bytes=3'],
    ['create outside', (h) => h.create('/other', { data: 'zzz' }), 'count=2,bytes=3'],
    ['create in a sibling with a longer name', (h) => h.create('/application', { data: 'q' }),
      'count=2,bytes=3'],
    ['failed create (exists)', (h) => h.create('/app/x', { data: 'q' }), 'count=2,bytes=3'],
    ['failed setData (version)', (h) => h.write(setDataOp('/app', 'qqqq', 7)), 'count=2,bytes=3'],
    ['multi that succeeds', (h) => h.write({ kind: 'multi', ops: [
      createOp('/app/m1', { data: 'ab' }), createOp('/app/m2'), setDataOp('/app', ''),
    ] }), 'count=4,bytes=2'],
    ['multi rolled back', (h) => h.write({ kind: 'multi', ops: [
      createOp('/app/m1', { data: 'ab' }), deleteOp('/app/x'), checkOp('/app', 9),
    ] }), 'count=2,bytes=3'],
  ])('after %s', (_name, write, expected) => {
    const harness = appWithQuota();
    write(harness);
    expect(statsOf(harness, '/app')).toBe(expected);
  });

  it('changes the stats node\'s data only: version, mzxid and mtime stay (dataLength moves)',
    () => {
      const harness = appWithQuota();
      const before = harness.tree.statOf(statPathOf('/app'));
      harness.create('/app/y', { data: '0123456789' });
      const after = harness.tree.statOf(statPathOf('/app'));
      expect(after).toEqual({ ...before, dataLength: 'count=3,bytes=13'.length });
    });

  it('counts a closing session\'s ephemerals and a removed container out', () => {
    const harness = appWithQuota();
    harness.create('/app/e', { flags: 1, data: 'ee' });
    harness.create('/app/c', { opcode: 19, flags: 4 });
    harness.create('/app/c/child');
    harness.write(deleteOp('/app/c/child'));
    expect(statsOf(harness, '/app')).toBe('count=4,bytes=5');
    harness.closeSession(session);
    expect(statsOf(harness, '/app')).toBe('count=3,bytes=3');
    harness.deleteContainer('/app/c', 1_000_000);
    expect(statsOf(harness, '/app')).toBe('count=2,bytes=3');
  });

  it('stops counting once the limits node is deleted (delquota), and the deepest quota wins',
    () => {
      const harness = appWithQuota();
      harness.create('/app/x/sub');
      setQuota(harness, '/app/x', 'count=-1,bytes=100');
      harness.create('/app/x/sub/leaf', { data: '1234' });
      expect(statsOf(harness, '/app/x')).toBe('count=3,bytes=4');
      expect(statsOf(harness, '/app')).toBe('count=3,bytes=3');
      harness.write(deleteOp(limitPathOf('/app/x')));
      harness.create('/app/x/sub/leaf2', { data: '55' });
      expect(statsOf(harness, '/app/x')).toBe('count=3,bytes=4');
      expect(statsOf(harness, '/app')).toBe('count=4,bytes=5');
    });

  it('leaves stats it cannot parse alone, and a quota without a stats node uncounted', () => {
    const harness = appWithQuota();
    harness.write(setDataOp(statPathOf('/app'), 'garbage'));
    harness.create('/app/y', { data: 'q' });
    expect(statsOf(harness, '/app')).toBe('garbage');
    harness.write(deleteOp(statPathOf('/app')));
    expect(harness.create('/app/z').err).toBe(0);
  });

  it('a snapshot restores the stats as they were and keeps counting the same way', () => {
    const harness = appWithQuota();
    harness.create('/app/y', { data: 'hello' });
    const restored = new DataTree();
    restoreTree(restored, snapshotOfTree(harness.tree));
    expect(restored.digest()).toBe(harness.tree.digest());
    const next = {
      zxid: harness.zxid + 1, time: 99_000, sessionId: session, cxid: 1,
      body: { type: 'write' as const, request: createOp('/app/after', { data: 'xy' }),
        auth: anonymous },
    };
    harness.tree.apply(next);
    restored.apply(next);
    expect(restored.digest()).toBe(harness.tree.digest());
    expect(statsOf(harness, '/app')).toBe('count=4,bytes=10');
  });

  it('a capture begun before a write holds the stats as they were at its zxid', () => {
    const harness = appWithQuota();
    const expected = harness.tree.digest();
    const capture = harness.tree.capture();
    harness.create('/app/y', { data: 'later' });
    const bytes = encodeSnapshot(capture);
    const restored = new DataTree();
    restoreTree(restored, { formatVersion: peerSnapshotFormatVersion, bytes });
    expect(restored.digest()).toBe(expected);
    expect(statsOf(harness, '/app')).toBe('count=3,bytes=8');
  });
});

describe('enforceQuota in the data tree', () => {
  function enforced(harness: Harness, request: WriteRequest, enforceQuota = true) {
    harness.zxid++;
    return harness.tree.apply({
      zxid: harness.zxid, time: harness.zxid * 1000, sessionId: session, cxid: harness.zxid,
      body: { type: 'write', request, auth: anonymous, enforceQuota },
    });
  }

  function withLimits(limits: string): Harness {
    const harness = new Harness();
    harness.create('/app', { data: 'abc' });
    setQuota(harness, '/app', limits);
    return harness;
  }

  it.each<[string, string, WriteRequest, number, string[]]>([
    ['hard count passed', 'count=-1,bytes=-1=;countHardLimit=1', createOp('/app/a'), -125,
      ['Quota exceeded: /app [current count=2, hardCountLimit=1]']],
    ['hard count reached', 'count=-1,bytes=-1=;countHardLimit=2', createOp('/app/a'), 0, []],
    ['hard bytes by create', 'count=-1,bytes=-1=;byteHardLimit=5',
      createOp('/app/a', { data: 'xyz' }), -125,
      ['Quota exceeded: /app [current bytes=6, hardByteLimit=5]']],
    ['hard bytes by setData', 'count=-1,bytes=-1=;byteHardLimit=5', setDataOp('/app', 'abcdef'),
      -125, ['Quota exceeded: /app [current bytes=6, hardByteLimit=5]']],
    // ZooKeeper checks the total, so shrinking data while still over the limit is refused.
    ['setData shrinking yet over', 'count=-1,bytes=-1=;byteHardLimit=1',
      setDataOp('/app', 'ab'), -125, ['Quota exceeded: /app [current bytes=2, hardByteLimit=1]']],
    ['quota before version', 'count=-1,bytes=-1=;byteHardLimit=1', setDataOp('/app', 'abcd', 9),
      -125, ['Quota exceeded: /app [current bytes=4, hardByteLimit=1]']],
    ['soft count only logged', 'count=1,bytes=-1', createOp('/app/a'), 0,
      ['Quota exceeded: /app [current count=2, softCountLimit=1]']],
    ['hard wins over soft', 'count=1,bytes=-1=;countHardLimit=5', createOp('/app/a'), 0, []],
    ['count checked before bytes', 'count=1,bytes=1=;byteHardLimit=1',
      createOp('/app/a', { data: 'q' }), -125, [
        'Quota exceeded: /app [current count=2, softCountLimit=1]',
        'Quota exceeded: /app [current bytes=4, hardByteLimit=1]',
      ]],
    ['zero bytes change skips bytes', 'count=-1,bytes=-1=;byteHardLimit=0', createOp('/app/a'),
      0, []],
    ['outside the quota', 'count=-1,bytes=-1=;countHardLimit=1', createOp('/free'), 0, []],
    ['unreadable limits', 'count', createOp('/app/a'), -5, []],
  ])('%s (%s)', (_name, limits, request, err, messages) => {
    const harness = withLimits(limits);
    const before = statsOf(harness, '/app');
    const outcome = enforced(harness, request);
    expect(outcome.err).toBe(err);
    expect((outcome.quotaExceeded ?? []).map(quotaExceededMessage)).toEqual(messages);
    if (err !== 0) expect(statsOf(harness, '/app')).toBe(before);
  });

  it('checks nothing when the txn does not carry enforceQuota', () => {
    const harness = withLimits('count=-1,bytes=-1=;countHardLimit=1');
    const outcome = enforced(harness, createOp('/app/a'), false);
    expect(outcome.err).toBe(0);
    expect(outcome.quotaExceeded).toEqual([]);
    expect(statsOf(harness, '/app')).toBe('count=2,bytes=3');
  });

  it('fails the multi op past the hard limit, rolling back the ops before it', () => {
    const harness = withLimits('count=-1,bytes=-1=;countHardLimit=2');
    const outcome = enforced(harness, { kind: 'multi', ops: [
      createOp('/app/a'), createOp('/app/b'), setDataOp('/app', 'x'),
    ] });
    expect(outcome.body).toEqual({ kind: 'multi', results: [
      { kind: 'error', err: 0 }, { kind: 'error', err: -125 }, { kind: 'error', err: -2 },
    ] });
    expect(harness.tree.hasNode('/app/a')).toBe(false);
    expect(statsOf(harness, '/app')).toBe('count=1,bytes=3');
  });

  it('fails a whole multi with marshallingError on limits ZooKeeper cannot parse', () => {
    const harness = withLimits('count=x');
    const outcome = enforced(harness, { kind: 'multi', ops: [createOp('/free'),
      createOp('/app/a')] });
    expect(outcome.err).toBe(-5);
    expect(harness.tree.hasNode('/free')).toBe(false);
  });
});
