// A connection's large frames go to the socket 64 KiB per turn (actors/server/outgoing-frames.ts)
// and the frames written after one wait behind its last chunk: the client reads the same bytes
// in the same order, a close ends the socket only after them, and a socket that went away
// gets nothing more. The turns are the test's own queue, run one at a time.

import { describe, expect, it } from 'vitest';
import {
  ClientConnection,
  type ConnectionClock,
  type ConnectionHandler,
} from '../../../actors/server/client-connection.js';
import {
  chunkedFrameBytesMin,
  frameChunkBytes,
  OutgoingFrames,
} from '../../../actors/server/outgoing-frames.js';
import { ServerStatistics } from '../../../actors/server/statistics.js';
import { FrameParts } from '../../../protocol/frame-parts.js';
import { memorySocketPair } from '../../../transport/memory-client-socket.js';

/** A frame of `bytes` whose content tells where each byte belongs. */
function frame(bytes: number, tag: number): Buffer {
  const buffer = Buffer.alloc(bytes, tag);
  buffer.writeInt32BE(bytes - 4);
  for (let at = 4; at < bytes; at += 997) buffer[at] = (at / 997) & 0xff;
  return buffer;
}

/** Turns run one at a time by the test. */
function turns() {
  const pending: Array<() => void> = [];
  return {
    nextTurn: (work: () => void) => void pending.push(work),
    run: () => pending.shift()?.(),
    get count() {
      return pending.length;
    },
  };
}

describe('OutgoingFrames', () => {
  it('writes a large frame a chunk per turn, the frames behind it after its last chunk', () => {
    const written: Buffer[] = [];
    const turn = turns();
    let drained = 0;
    const outgoing = new OutgoingFrames((bytes) => written.push(bytes), turn.nextTurn,
      () => drained++);
    const small = frame(100, 1);
    const large = frame(5 * frameChunkBytes + 123, 2);
    const after = [frame(200, 3), frame(chunkedFrameBytesMin, 4), frame(50, 5)];
    outgoing.write(small);
    outgoing.write(large);
    for (const next of after) outgoing.write(next);
    // The small frame and the first chunk now; the rest is held and counted.
    expect(written.map((bytes) => bytes.length)).toEqual([100, frameChunkBytes]);
    const held = large.length - frameChunkBytes + after.reduce((sum, next) => sum + next.length, 0);
    expect(outgoing.waitingBytes).toBe(held);
    let done = false;
    outgoing.afterWritten(() => (done = true));
    let ran = 0;
    while (turn.count > 0 && ran < 100) {
      const before = written.length;
      turn.run();
      ran++;
      expect(written.length - before).toBeGreaterThanOrEqual(1);
      // One turn writes one chunk, never more than 64 KiB of a large frame.
      if (outgoing.busy) expect(written.at(-1)!.length).toBeLessThanOrEqual(frameChunkBytes);
    }
    expect(Buffer.concat(written).equals(Buffer.concat([small, large, ...after]))).toBe(true);
    expect(outgoing.waitingBytes).toBe(0);
    expect(outgoing.busy).toBe(false);
    expect(done).toBe(true);
    // Told once: when the second large frame took over, bytes were still held.
    expect(drained).toBe(1);
    // 6 chunks of the large frame, then the 128 KiB one (also large) in 2.
    expect(ran).toBe(5 + 1);
  });

  it('writes a frame in parts in order, its large part a chunk per turn, then what follows',
    () => {
      const written: Buffer[] = [];
      const turn = turns();
      const outgoing = new OutgoingFrames((bytes) => written.push(bytes), turn.nextTurn);
      // A kept list's reply: header, the names' bytes (3.5 chunks), a Stat.
      const whole = frame(20 + Math.floor(3.5 * frameChunkBytes) + 68, 6);
      const parts = [whole.subarray(0, 20), whole.subarray(20, whole.length - 68),
        whole.subarray(whole.length - 68)];
      const split = new FrameParts(parts);
      expect(split.length).toBe(whole.length);
      const next = frame(40, 9);
      outgoing.write(split);
      outgoing.write(next);
      // The header and the first chunk now; the rest (Stat and the next frame too) wait.
      expect(written.map((bytes) => bytes.length)).toEqual([20, frameChunkBytes]);
      expect(outgoing.waitingBytes).toBe(whole.length - 20 - frameChunkBytes + next.length);
      let ran = 0;
      while (turn.count > 0 && ran < 100) {
        turn.run();
        ran++;
      }
      expect(ran).toBe(3);
      expect(Buffer.concat(written).equals(Buffer.concat([whole, next]))).toBe(true);
      // The names' bytes went out as they were, never copied into another buffer.
      expect(written[1]!.buffer).toBe(whole.buffer);
      expect(outgoing.waitingBytes).toBe(0);
    });

  it('writes nothing more once cleared (the socket is gone)', () => {
    const written: Buffer[] = [];
    const turn = turns();
    const outgoing = new OutgoingFrames((bytes) => written.push(bytes), turn.nextTurn);
    outgoing.write(frame(3 * frameChunkBytes, 7));
    outgoing.write(frame(10, 8));
    let done = false;
    outgoing.afterWritten(() => (done = true));
    outgoing.clear();
    while (turn.count > 0) turn.run();
    expect(written.map((bytes) => bytes.length)).toEqual([frameChunkBytes]);
    expect(outgoing.waitingBytes).toBe(0);
    expect(done).toBe(false);
  });
});

describe('ClientConnection with a large reply', () => {
  const stillClock: ConnectionClock = {
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
  };

  it('sends later replies after it, and closes only once all of it is sent', () => {
    const { client, server } = memorySocketPair({ clientAddress: '127.0.0.1', clientPort: 40_001,
      serverAddress: '127.0.0.1', serverPort: 2181 });
    const turn = turns();
    const replies = [frame(3 * frameChunkBytes + 17, 0x21), frame(64, 0x22), frame(40, 0x23)];
    let closed = 0;
    const handler: ConnectionHandler = {
      fourLetterWord: () => undefined,
      frame: (connection, request) => {
        const index = request.readInt32BE(0);
        connection.queue.pushRead(() => replies[index]!);
      },
      closed: () => closed++,
    };
    const connection = new ClientConnection(server, handler, { frameBytesMax: 1024,
      sendQueueBytesThrottle: 4 << 20, sendQueueBytesMax: 64 << 20,
      outstandingRequestsMax: 1000 }, new ServerStatistics(),
    { clock: stillClock, nextTurn: turn.nextTurn });
    const received: Buffer[] = [];
    let clientClosed = false;
    client.on('data', (chunk) => received.push(chunk));
    client.on('close', () => (clientClosed = true));
    const request = (index: number): Buffer => {
      const bytes = Buffer.alloc(8);
      bytes.writeInt32BE(4);
      bytes.writeInt32BE(index, 4);
      return bytes;
    };
    client.write(Buffer.concat([request(0), request(1), request(2)]));
    server.deliver();
    connection.close();
    for (let round = 0; round < 100 && !clientClosed; round++) {
      turn.run();
      client.deliver(client.deliverable);
    }
    expect(Buffer.concat(received).equals(Buffer.concat(replies))).toBe(true);
    expect(clientClosed).toBe(true);
    expect(closed).toBe(1);
  });
});
