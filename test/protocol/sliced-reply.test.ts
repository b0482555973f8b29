// Lists of names encoded fast and in slices: JuteWriter.stringVector's ASCII path and the
// SlicedReplyEncoder must give exactly the bytes of a ustring-at-a-time encoding (the one
// ZooKeeper's BinaryOutputArchive defines: length, then UTF-8), whatever the names hold and
// however the slices fall. The reference below writes each name with Buffer.write.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteWriter } from '../../protocol/jute.js';
import type { Stat } from '../../protocol/records.js';
import { encodeReply } from '../../protocol/responses.js';
import { SlicedReplyEncoder, type NameListBody } from '../../protocol/sliced-reply.js';

/** One name after another through ustring, which calls Buffer.write for each. */
function referenceVector(names: readonly string[]): Buffer {
  const writer = new JuteWriter(16).int(names.length);
  for (const name of names) writer.ustring(name);
  return writer.body();
}

const stat: Stat = {
  czxid: 3, mzxid: 4, ctime: 1_700_000_000_000, mtime: 1_700_000_000_001, version: 2,
  cversion: 9, aversion: 1, ephemeralOwner: 0n, dataLength: 5, numChildren: 7, pzxid: 8,
};

/** Names as ZooKeeper paths may hold them: ASCII, accents, CJK, emoji, lone surrogates. */
const names = fc.array(fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
), { maxLength: 60 });

function bodyOf(kind: NameListBody['kind'], list: string[]): NameListBody {
  if (kind === 'paths') return { kind, paths: list };
  return kind === 'children' ? { kind, children: list } : { kind, children: list, stat };
}

describe('name lists encoded fast and in slices', () => {
  it.each([
    ['ASCII', ['a', 'bb', 'child-0000001', '']],
    ['accents and CJK', ['zñode', 'ノード', 'plain', 'é']],
    ['emoji and a lone surrogate', ['🦓', 'x\ud800y', 'tail']],
  ])('stringVector writes %s as ustrings do', (_label, list) => {
    expect(new JuteWriter(4).stringVector(list).body()).toEqual(referenceVector(list));
  });

  it('stringVector matches the reference on any names (property)', () => {
    fc.assert(fc.property(names, (list) => {
      expect(new JuteWriter(4).stringVector(list).body()).toEqual(referenceVector(list));
    }));
  });

  it.each(['children', 'childrenStat', 'paths'] as const)(
    'a %s reply in slices of any size equals encodeReply (property)', (kind) => {
      fc.assert(fc.property(names, fc.integer({ min: 1, max: 70 }), (list, sliceNames) => {
        const header = { xid: 41, zxid: 0x1_0000_0005, err: 0 };
        const encoder = new SlicedReplyEncoder(header, bodyOf(kind, list));
        let frame: Buffer | undefined;
        let slices = 0;
        while (frame === undefined && slices <= list.length) {
          frame = encoder.step(sliceNames);
          slices++;
        }
        expect(frame).toEqual(encodeReply(header, bodyOf(kind, list)));
        expect(slices).toBe(Math.max(1, Math.ceil(list.length / sliceNames)));
        // The read metrics take the names' characters from the encoder, as it counted them.
        expect(encoder.nameChars).toBe(list.reduce((sum, name) => sum + name.length, 0));
      }));
    });

  it.each(['children', 'paths'] as const)(
    'a %s reply in slices bounded by bytes equals encodeReply, each slice within its budget '
      + '(property)', (kind) => {
      fc.assert(fc.property(names, fc.integer({ min: 1, max: 200 }), (list, sliceBytes) => {
        const header = { xid: 7, zxid: 3, err: 0 };
        const encoder = new SlicedReplyEncoder(header, bodyOf(kind, list));
        // A slice takes names while it is under budget: at least one, never past the budget by
        // more than its last name. So many slices, then, as this greedy grouping makes.
        let expectedSlices = 0;
        for (let at = 0; at < list.length || expectedSlices === 0; expectedSlices++) {
          for (let bytes = 0; at < list.length && bytes < sliceBytes; at++) {
            bytes += 4 + list[at]!.length;
          }
        }
        let frame: Buffer | undefined;
        let slices = 0;
        while (frame === undefined && slices <= list.length) {
          frame = encoder.step(list.length + 1, sliceBytes);
          slices++;
        }
        expect(slices).toBe(expectedSlices);
        expect(frame).toEqual(encodeReply(header, bodyOf(kind, list)));
      }));
    });

  it('refuses a header with an error (such replies carry no body)', () => {
    expect(() => new SlicedReplyEncoder({ xid: 1, zxid: 1, err: -101 },
      { kind: 'children', children: [] })).toThrow(/err must be 0/);
  });
});
