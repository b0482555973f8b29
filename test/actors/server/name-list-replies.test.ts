// Name-list replies (actors/server/sliced-replies.ts NameListReplies): a list the tree keeps (a
// frozen array) is answered the second time from the bytes its first reply was encoded to, and
// the frame is byte for byte what encodeReply makes, header and fresh Stat included; a large
// list is encoded in slices over later turns the first time; lists the tree does not keep,
// errors and other bodies are left to encodeReply; the cache honours its count (0 keeps none)
// and counts hits and misses as ZooKeeper's getChildren response cache does.

import { describe, expect, it } from 'vitest';
import type { Stat } from '../../../protocol/records.js';
import { encodeReply, type ResponseBody } from '../../../protocol/responses.js';
import { FrameParts, type Frame } from '../../../protocol/frame-parts.js';
import {
  NameListReplies,
  slicedReplyNamesMin,
  type KeptListCounters,
  type NameListReply,
} from '../../../actors/server/sliced-replies.js';

const stat = (version: number): Stat => ({
  czxid: 3, mzxid: 4 + version, ctime: 1_700_000_000_000, mtime: 1_700_000_000_001, version,
  cversion: 9, aversion: 1, ephemeralOwner: 0n, dataLength: 5, numChildren: 7, pzxid: 8,
});

function counters(): KeptListCounters {
  return { response_packet_get_children_cache_hits: 0,
    response_packet_get_children_cache_misses: 0 };
}

/** Runs each turn's work when `flush` is called, as setImmediate would. */
function turns(): { nextTurn: (work: () => void) => void; flush: () => number } {
  const queue: Array<() => void> = [];
  return {
    nextTurn: (work) => queue.push(work),
    flush: () => {
      let ran = 0;
      for (let work = queue.shift(); work !== undefined; work = queue.shift()) {
        work();
        ran++;
      }
      return ran;
    },
  };
}

function names(count: number, prefix = 'child-'): readonly string[] {
  return Object.freeze(Array.from({ length: count }, (_, index) => `${prefix}${index}`));
}

/** The frame as one buffer (a copy when it is in parts), to compare with encodeReply's. */
function frameBytes(frame: Frame): Buffer {
  return frame instanceof FrameParts ? Buffer.concat(frame.parts as Buffer[]) : frame;
}

function syncReply(result: ReturnType<NameListReplies['encode']>): NameListReply {
  if (result === undefined || result instanceof Promise) throw new Error('expected a reply now');
  return result;
}

describe('name-list replies', () => {
  it('answers a kept list again from its bytes, exactly as encodeReply would', () => {
    const count = counters();
    const replies = new NameListReplies(400, count, turns().nextTurn);
    const list = names(5000);
    const body = (version: number): ResponseBody =>
      ({ kind: 'childrenStat', children: list, stat: stat(version) });
    const first = syncReply(replies.encode({ xid: 7, zxid: 90, err: 0 }, body(0), '/wide'));
    expect(frameBytes(first.frame).equals(encodeReply({ xid: 7, zxid: 90, err: 0 }, body(0))))
      .toBe(true);
    expect(count).toEqual({ response_packet_get_children_cache_hits: 0,
      response_packet_get_children_cache_misses: 1 });
    // Another header and a Stat of the node as it is now: both fresh, the names kept.
    const again = syncReply(replies.encode({ xid: 8, zxid: 95, err: 0 }, body(3), '/wide'));
    expect(frameBytes(again.frame).equals(encodeReply({ xid: 8, zxid: 95, err: 0 }, body(3))))
      .toBe(true);
    expect(again.nameChars).toBe(first.nameChars);
    expect(first.nameChars).toBe(list.reduce((sum, name) => sum + name.length, 0));
    // getChildren of the same list shares its vector.
    const plain: ResponseBody = { kind: 'children', children: list };
    expect(frameBytes(syncReply(replies.encode({ xid: 9, zxid: 95, err: 0 }, plain, '/wide'))
      .frame).equals(encodeReply({ xid: 9, zxid: 95, err: 0 }, plain))).toBe(true);
    expect(count.response_packet_get_children_cache_hits).toBe(2);
    expect(replies.size.lists).toBe(1);
  });

  it('encodes a large list in slices the first time, then sends its kept bytes uncopied',
    async () => {
      const count = counters();
      const { nextTurn, flush } = turns();
      const replies = new NameListReplies(400, count, nextTurn);
      const list = names(slicedReplyNamesMin + 10, 'a-much-longer-child-name-');
      const body: ResponseBody = { kind: 'children', children: list };
      const pending = replies.encode({ xid: 1, zxid: 2, err: 0 }, body, '/wide');
      expect(pending).toBeInstanceOf(Promise);
      expect(flush()).toBeGreaterThan(1);
      const first = await (pending as Promise<NameListReply>);
      // Buffer.equals: a large Buffer compared through toEqual takes seconds.
      expect(frameBytes(first.frame).equals(encodeReply({ xid: 1, zxid: 2, err: 0 }, body)))
        .toBe(true);
      // Read again, answered in the turn it is read: a fresh header, then the names' bytes as
      // the first reply encoded them (its own memory, not a copy).
      const again = syncReply(replies.encode({ xid: 3, zxid: 4, err: 0 }, body, '/wide'));
      expect(flush()).toBe(0);
      expect(again.frame).toBeInstanceOf(FrameParts);
      const parts = (again.frame as FrameParts).parts;
      expect(parts).toHaveLength(2);
      expect(parts[0]).toHaveLength(20);
      expect(parts[1]!.buffer).toBe(frameBytes(first.frame).buffer);
      expect(again.frame.length).toBe(first.frame.length);
      expect(frameBytes(again.frame).equals(encodeReply({ xid: 3, zxid: 4, err: 0 }, body)))
        .toBe(true);
      expect(again.nameChars).toBe(first.nameChars);
      // getChildren2 of the same list: the Stat follows as a third part.
      const withStat: ResponseBody = { kind: 'childrenStat', children: list, stat: stat(2) };
      const third = syncReply(replies.encode({ xid: 5, zxid: 6, err: 0 }, withStat, '/wide'));
      expect((third.frame as FrameParts).parts).toHaveLength(3);
      expect(frameBytes(third.frame).equals(encodeReply({ xid: 5, zxid: 6, err: 0 }, withStat)))
        .toBe(true);
      expect(count.response_packet_get_children_cache_hits).toBe(2);
    });

  it('leaves to encodeReply what it does not keep: errors, other bodies, unfrozen lists, ' +
    'lists of no node', () => {
    const count = counters();
    const replies = new NameListReplies(400, count, turns().nextTurn);
    const list = names(5000);
    expect(replies.encode({ xid: 1, zxid: 2, err: -101 }, { kind: 'children', children: list },
      '/wide')).toBeUndefined();
    expect(replies.encode({ xid: 1, zxid: 2, err: 0 }, { kind: 'stat', stat: stat(0) }))
      .toBeUndefined();
    expect(replies.encode({ xid: 1, zxid: 2, err: 0 },
      { kind: 'children', children: [...list] }, '/wide')).toBeUndefined();
    // A frozen list read with no path (not a getChildren) is not kept either.
    expect(replies.encode({ xid: 1, zxid: 2, err: 0 }, { kind: 'children', children: list }))
      .toBeUndefined();
    // A large list the tree does not keep (getEphemerals' paths) is still encoded in slices.
    const paths = Array.from({ length: slicedReplyNamesMin }, (_, index) => `/e/${index}`);
    expect(replies.encode({ xid: 1, zxid: 2, err: 0 }, { kind: 'paths', paths }))
      .toBeInstanceOf(Promise);
    expect(count).toEqual({ response_packet_get_children_cache_hits: 0,
      response_packet_get_children_cache_misses: 0 });
    expect(replies.size.lists).toBe(0);
  });

  it('keeps at most maxGetChildrenResponseCacheSize lists, the least recently read going first',
    () => {
      const count = counters();
      const replies = new NameListReplies(2, count, turns().nextTurn);
      const [a, b, c] = [names(5000, 'a'), names(5000, 'b'), names(5000, 'c')];
      const read = (list: readonly string[]): void => {
        const body = { kind: 'children', children: list } as const;
        syncReply(replies.encode({ xid: 1, zxid: 1, err: 0 }, body, `/${list[0]}`));
      };
      read(a);
      read(b);
      read(a);
      read(c);
      expect(count.response_packet_get_children_cache_hits).toBe(1);
      read(a);
      expect(count.response_packet_get_children_cache_hits).toBe(2);
      read(b);
      expect(count.response_packet_get_children_cache_misses).toBe(4);
      expect(replies.size.lists).toBe(2);
      replies.clear();
      expect(replies.size).toEqual({ lists: 0, bytes: 0 });
    });

  it('keeps nothing with a size of 0', () => {
    const count = counters();
    const replies = new NameListReplies(0, count, turns().nextTurn);
    const list = names(5000);
    expect(replies.encode({ xid: 1, zxid: 1, err: 0 }, { kind: 'children', children: list },
      '/wide')).toBeUndefined();
    expect(replies.size.lists).toBe(0);
    expect(count.response_packet_get_children_cache_misses).toBe(0);
  });

  it('keeps one list per node: a changed list replaces the one before it', () => {
    const count = counters();
    const replies = new NameListReplies(400, count, turns().nextTurn);
    const read = (list: readonly string[]): NameListReply => syncReply(replies.encode(
      { xid: 1, zxid: 1, err: 0 }, { kind: 'children', children: list }, '/wide'));
    const before = names(5000);
    read(before);
    const bytesBefore = replies.size.bytes;
    // The node's children changed: the tree hands out a new list, one name longer.
    const after = Object.freeze([...before, 'child-new']);
    const reply = read(after);
    expect(frameBytes(reply.frame).equals(encodeReply({ xid: 1, zxid: 1, err: 0 },
      { kind: 'children', children: after }))).toBe(true);
    expect(replies.size).toEqual({ lists: 1, bytes: bytesBefore + 4 + 'child-new'.length });
    read(after);
    expect(count).toEqual({ response_packet_get_children_cache_hits: 1,
      response_packet_get_children_cache_misses: 2 });
  });
});
