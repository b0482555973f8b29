import { describe, expect, it } from 'vitest';
import { JuteError, JuteReader, JuteWriter } from '../../protocol/jute.js';

describe('jute codec', () => {
  it('round-trips ints, longs, booleans, buffers, strings and vectors', () => {
    const writer = new JuteWriter(4);
    writer.int(-7).long(0x1_0000_0002).long(-1n).boolean(true).bytes(Buffer.from('abc'));
    writer.ustring('zñode').ustring(null).stringVector(['a', 'bb']);
    const reader = new JuteReader(writer.body());
    expect(reader.int()).toBe(-7);
    expect(reader.longNumber()).toBe(0x1_0000_0002);
    expect(reader.long()).toBe(-1n);
    expect(reader.boolean()).toBe(true);
    expect(reader.bytes().toString()).toBe('abc');
    expect(reader.ustring()).toBe('zñode');
    expect(reader.ustringOrNull()).toBeNull();
    expect(reader.stringVector()).toEqual(['a', 'bb']);
    expect(reader.remaining).toBe(0);
  });

  it('prefixes a frame with its length', () => {
    const frame = new JuteWriter().int(1).int(2).frame();
    expect(frame.readInt32BE(0)).toBe(8);
    expect(frame.length).toBe(12);
  });

  it.each([
    ['a truncated int', Buffer.from([0, 0, 1]), (r: JuteReader) => r.int()],
    ['a buffer longer than the record', Buffer.from([0, 0, 0, 9, 1]), (r: JuteReader) => r.bytes()],
    ['a vector count beyond the record', Buffer.from([0x7f, 0, 0, 0]),
      (r: JuteReader) => r.stringVector()],
    ['invalid UTF-8', Buffer.from([0, 0, 0, 2, 0xc3, 0x28]), (r: JuteReader) => r.ustring()],
  ])('rejects %s', (_name, bytes, read) => {
    expect(() => read(new JuteReader(bytes))).toThrow(JuteError);
  });
});
