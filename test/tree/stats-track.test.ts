// StatsTrack's text, as ZooKeeper 3.8/3.9 parse and write it (the values below are what
// org.apache.zookeeper.StatsTrack answers for the same input; zkCli prints them verbatim).

import { describe, expect, it } from 'vitest';
import {
  addLong,
  formatStats,
  parseJavaLong,
  parseStats,
  statValue,
} from '../../tree/stats-track.js';

const parsed = (text: string): Record<string, string> | undefined => {
  const stats = parseStats(Buffer.from(text));
  if (stats === undefined) return undefined;
  return Object.fromEntries([...stats].map(([key, value]) => [key, String(value)]));
};

describe('StatsTrack text', () => {
  it.each([
    ['', {}],
    ['count=3,bytes=8', { count: '3', bytes: '8' }],
    // The `=` after bytes is there for 3.4.3's parser; Java's split drops the empty tail.
    ['count=5,bytes=-1=;byteHardLimit=20;countHardLimit=-1',
      { count: '5', bytes: '-1', byteHardLimit: '20', countHardLimit: '-1' }],
    ['count=1;;,bytes=2', { count: '1', bytes: '2' }],
    ['count=1,count=4', { count: '4' }],
    ['count==7', { count: '-1' }],
    ['count=+7', { count: '7' }],
    ['=5', { '': '5' }],
    ['count=1,', { count: '1' }],
    ['unknown=9', { unknown: '9' }],
  ])('parses %j', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it.each([
    // Where Java throws (ArrayIndexOutOfBounds or NumberFormatException).
    'count', 'count=', ',count=1', '=', 'count=x', 'count= 1', 'count=1.5',
    'count=9223372036854775808', 'bytes=-',
  ])('refuses %j as ZooKeeper\'s parser does', (text) => {
    expect(parsed(text)).toBeUndefined();
  });

  it.each([
    ['count=-1,bytes=-1', []],
    ['count=3,bytes=8', [['count', 3n], ['bytes', 8n]]],
    ['count=-1,bytes=8', [['bytes', 8n]]],
    ['count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1',
      [['countHardLimit', -1n], ['byteHardLimit', -1n], ['bytes', -1n], ['count', 5n]]],
    ['count=0,bytes=0=;Alpha=2;zeta=1',
      [['zeta', 1n], ['Alpha', 2n], ['count', 0n], ['bytes', 0n]]],
  ] as const)('writes %s', (text, entries) => {
    expect(formatStats(new Map(entries)).toString()).toBe(text);
  });

  it.each([
    // Java's new StatsTrack(text).toString(), run in jshell against ZooKeeper 3.8's jar.
    ['', 'count=-1,bytes=-1'],
    ['count=1;;,bytes=2', 'count=1,bytes=2'],
    ['count=1,count=4', 'count=4,bytes=-1'],
    ['count==7', 'count=-1,bytes=-1'],
    ['=5', 'count=-1,bytes=-1=;=5'],
    ['unknown=9', 'count=-1,bytes=-1=;unknown=9'],
    ['count=5,bytes=-1=;byteHardLimit=20;countHardLimit=-1',
      'count=5,bytes=-1=;byteHardLimit=20;countHardLimit=-1'],
  ])('rewrites %j as ZooKeeper does: %s', (text, expected) => {
    const stats = parseStats(Buffer.from(text));
    expect(stats && formatStats(stats).toString()).toBe(expected);
  });

  it.each([
    ['0', 0n],
    ['-9223372036854775808', -(1n << 63n)],
    ['9223372036854775807', (1n << 63n) - 1n],
    ['-9223372036854775809', undefined],
    ['', undefined],
    ['+', undefined],
    ['0x10', undefined],
  ])('Long.parseLong(%j)', (text, expected) => {
    expect(parseJavaLong(text)).toBe(expected);
  });

  it('reads a missing key as -1 and adds with Java long wrap-around', () => {
    expect(statValue(new Map(), 'count')).toBe(-1n);
    expect(addLong((1n << 63n) - 1n, 1n)).toBe(-(1n << 63n));
  });
});
