// FrameDecoder, which every TCP reader here (client port, peer port, test clients) unframes
// with: whatever way the stream is cut into chunks, the same frames come out, whole and in order,
// and a bad length prefix is refused before its frame's bytes are waited for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError } from '../../transport/frame-decoder.js';

function framed(bodies: Uint8Array[]): Buffer {
  return Buffer.concat(bodies.map((body) => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(body.length, 0);
    return Buffer.concat([prefix, body]);
  }));
}

/** The stream cut at the given offsets. */
function cut(stream: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((offset) => offset % (stream.length + 1)))]
    .sort((left, right) => left - right);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, stream.length]) {
    chunks.push(stream.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('FrameDecoder', () => {
  it('returns the same frames however the stream is chunked', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (bodies, offsets) => {
        const decoder = new FrameDecoder(300);
        const out = cut(framed(bodies), offsets).flatMap((chunk) => decoder.push(chunk));
        expect(out.map((frame) => Buffer.from(frame))).toEqual(bodies.map((b) => Buffer.from(b)));
        expect(decoder.bufferedBytes).toBe(0);
      },
    ), { numRuns: 300, seed: 7 });
  });

  it('assembles a 32 MiB frame sent in 64 KiB chunks, and keeps what follows it', () => {
    const big = Buffer.alloc(32 * 1024 * 1024);
    for (let index = 0; index < big.length; index += 4096) big[index] = index % 251;
    const stream = framed([big, Buffer.from('next')]);
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    const out: Buffer[] = [];
    for (let offset = 0; offset < stream.length; offset += 64 * 1024) {
      out.push(...decoder.push(stream.subarray(offset, offset + 64 * 1024)));
    }
    expect(out).toHaveLength(2);
    expect(out[0]!.equals(big)).toBe(true);
    expect(out[1]!.toString()).toBe('next');
  });

  it('refuses a length above the limit or negative as soon as the prefix is in', () => {
    const over = new FrameDecoder(10);
    expect(() => over.push(Buffer.from([0, 0, 0]))).not.toThrow();
    expect(() => over.push(Buffer.from([11]))).toThrow(FrameTooLargeError);
    const negative = new FrameDecoder(10);
    expect(() => negative.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameTooLargeError);
  });
});
