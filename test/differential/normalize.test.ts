// The normalizer must hide only what may legitimately differ between servers (absolute zxids and
// times, hash orders) and keep everything else: these transcripts pin both sides of that line.

import { describe, expect, it } from 'vitest';
import type { Stat } from '../../protocol/records.js';
import { normalize } from './normalize.js';
import type { Entry, Transcript } from './runner.js';

function stat(czxid: number, mzxid: number, ctime: number, version = 0): Stat {
  return {
    czxid, mzxid, ctime, mtime: ctime + (version === 0 ? 0 : 5), version, cversion: 0,
    aversion: 0, ephemeralOwner: 7n, dataLength: 1, numChildren: 0, pzxid: czxid,
  };
}

/** A create then a setData on one node, plus a children read and two events, from zxid `base`. */
function transcript(base: number, clock: number, changes: Partial<Record<string, unknown>> = {}) {
  const A: Entry[] = [
    { kind: 'connection', step: -1, state: 'new session' },
    { kind: 'reply', step: 0, header: { xid: 1, zxid: base, err: 0 },
      body: { kind: 'pathStat', path: '/a', stat: stat(base, base, clock) } },
    { kind: 'event', event: { type: 3, state: 3, path: '/a' }, zxid: -1 },
    { kind: 'event', event: { type: 4, state: 3, path: '/' }, zxid: -1 },
    { kind: 'reply', step: 1, header: { xid: 2, zxid: base + 1, err: 0 },
      body: { kind: 'stat', stat: stat(base, (changes.mzxid as number) ?? base + 1, clock, 1) } },
    { kind: 'reply', step: 2, header: { xid: 3, zxid: base + 1, err: 0 },
      body: { kind: 'children', children: ['x', 'y'] } },
  ];
  if (changes.eventsReversed) [A[2], A[3]] = [A[3] as Entry, A[2] as Entry];
  if (changes.childrenReversed) A[5] = { ...(A[5] as Entry & { kind: 'reply' }),
    body: { kind: 'children', children: ['y', 'x'] } };
  if (changes.eventLate) A.push(A.splice(2, 1)[0] as Entry);
  const result: Transcript = {
    slots: { A, B: [] }, sessions: new Map([[7n, 'A1']]),
    startedAtMs: clock - 10, endedAtMs: clock + 100,
  };
  return normalize(result).A.map((line) => line.text);
}

describe('differential normalizer', () => {
  it('equates runs that differ only in absolute zxids and times', () => {
    expect(transcript(1000, 1_700_000_000_000)).toEqual(transcript(5, 1_800_000_000_000));
  });

  it.each([
    ['events within one batch reordered', { eventsReversed: true }],
    ['children in another order', { childrenReversed: true }],
  ])('equates runs with %s', (_name, changes) => {
    expect(transcript(5, 1000, changes)).toEqual(transcript(5, 1000));
  });

  it.each([
    ['setData not advancing mzxid', { mzxid: 5 }],
    ['an event arriving after the reply that reveals it', { eventLate: true }],
  ])('tells apart runs with %s', (_name, changes) => {
    expect(transcript(5, 1000, changes)).not.toEqual(transcript(5, 1000));
  });

  it('tells null data apart from empty data, in getData and in multiRead', () => {
    const read = (data: Buffer | null) => {
      const dataStat = { ...stat(5, 5, 1000), dataLength: 0 };
      const A: Entry[] = [
        { kind: 'reply', step: 0, header: { xid: 1, zxid: 5, err: 0 },
          body: { kind: 'data', data, stat: dataStat } },
        { kind: 'reply', step: 1, header: { xid: 2, zxid: 5, err: 0 },
          body: { kind: 'multi', results: [{ kind: 'getData', data, stat: dataStat }] } },
      ];
      const run: Transcript = { slots: { A, B: [] }, sessions: new Map([[7n, 'A1']]),
        startedAtMs: 900, endedAtMs: 1100 };
      return normalize(run).A.map((line) => line.text);
    };
    expect(read(null)[0]).toContain('data null stat(');
    expect(read(null)[1]).toContain('getData null stat(');
    expect(read(Buffer.alloc(0))[0]).toContain('data "" stat(');
    expect(read(Buffer.alloc(0))[1]).toContain('getData "" stat(');
  });

  it('names ephemeral owners by session label and places times in the run', () => {
    expect(transcript(5, 1000)[1]).toContain('ctime=in-run mtime==ctime v=0');
    expect(transcript(5, 1000)[1]).toContain('owner=A1');
  });
});

describe('differential normalizer, /zookeeper/config by shape', () => {
  /** A getData of /zookeeper/config as a standalone server (empty) or an ensemble answers it. */
  function configRead(ensemble: boolean, byShape: boolean): string {
    const config = Buffer.from(ensemble ? 'server.1=127.0.0.1:1:2:participant\nversion=0' : '');
    const configStat: Stat = {
      czxid: 0, mzxid: 0, ctime: 0, mtime: ensemble ? 1_700_000_000_000 : 0,
      version: ensemble ? -1 : 0, cversion: 0, aversion: -1, ephemeralOwner: 0n,
      dataLength: config.length, numChildren: 0, pzxid: 0,
    };
    const A: Entry[] = [{ kind: 'reply', step: 0, header: { xid: 1, zxid: 9, err: 0 },
      body: { kind: 'data', data: config, stat: configStat } }];
    const run: Transcript = { slots: { A, B: [] }, sessions: new Map(), startedAtMs: 0,
      endedAtMs: 1 };
    return normalize(run, { configNodeByShape: byShape }).A.map((line) => line.text).join('\n');
  }

  it('equates an ensemble\'s membership data with a standalone\'s empty node', () => {
    expect(configRead(true, true)).toEqual(configRead(false, true));
  });

  it('tells them apart by default', () => {
    expect(configRead(true, false)).not.toEqual(configRead(false, false));
  });

  it('leaves other nodes alone: an ordinary stat with aversion 0 keeps its data', () => {
    expect(transcript(5, 1000)[1]).toContain('stat(c=z1');
  });
});
