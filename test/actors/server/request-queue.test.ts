// One session's reply queue: replies leave in request order; a read behind a write runs the
// moment that write's answer is handed in (so before the next txn is applied), and the
// connection is told to hold later writes only while a read waits behind something that
// settles in a later microtask (a sync, a session moving in).
import { describe, expect, it } from 'vitest';
import { RequestQueue } from '../../../actors/server/request-queue.js';

function queueWithLog() {
  const sent: string[] = [];
  let drained = 0;
  const queue = new RequestQueue(
    (frame) => sent.push(frame.toString()),
    () => undefined,
    () => drained++,
  );
  return { queue, sent, drainedCount: () => drained };
}

describe('RequestQueue', () => {
  it('runs a read queued behind a write as the write is answered, before anything else runs',
    () => {
      const { queue, sent } = queueWithLog();
      let state = 'before';
      const first = queue.expectWrite(() => Buffer.from('failed'));
      queue.pushRead(() => Buffer.from(`read saw ${state}`));
      const second = queue.expectWrite(() => Buffer.from('failed'));
      expect(sent).toEqual([]);
      // The batch applies the first write, answers it, then applies the second.
      state = 'first';
      first.answer(Buffer.from('first done'));
      expect(sent).toEqual(['first done', 'read saw first']);
      state = 'second';
      second.answer(Buffer.from('second done'));
      expect(sent).toEqual(['first done', 'read saw first', 'second done']);
    });

  it('answers a failed write with its error, once, and keeps the order', () => {
    const { queue, sent } = queueWithLog();
    const write = queue.expectWrite(() => Buffer.from('not durable'));
    queue.pushRead(() => Buffer.from('read'));
    write.fail();
    write.answer(Buffer.from('too late'));
    write.fail();
    expect(sent).toEqual(['not durable', 'read']);
  });

  it('asks for later writes to be held only while a read waits behind a late item', async () => {
    const { queue } = queueWithLog();
    const write = queue.expectWrite(() => Buffer.from('failed'));
    queue.pushRead(() => Buffer.from('read'));
    expect(queue.readWaiting).toBe(false);
    write.answer(Buffer.from('done'));

    let settle!: () => void;
    queue.pushBarrier(new Promise<void>((resolve) => (settle = resolve)));
    expect(queue.readWaiting).toBe(false);
    queue.pushRead(() => Buffer.from('after the barrier'));
    expect(queue.readWaiting).toBe(true);
    settle();
    await Promise.resolve();
    await Promise.resolve();
    expect(queue.readWaiting).toBe(false);
    expect(queue.length).toBe(0);
  });

  it('tells the connection it moved on in a later microtask, once per drain', async () => {
    const { queue, drainedCount } = queueWithLog();
    const write = queue.expectWrite(() => Buffer.from('failed'));
    queue.pushRead(() => Buffer.from('read'));
    write.answer(Buffer.from('done'));
    expect(drainedCount()).toBe(0);
    await Promise.resolve();
    expect(drainedCount()).toBe(1);
  });
});
