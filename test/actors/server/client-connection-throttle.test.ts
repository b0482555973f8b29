// A client connection's bounded memory, on the simulator's in-memory socket (the same interface
// as net.Socket, bytes moving only when delivered): a client that does not read gets replies
// made only up to the throttle, is read again once it takes them, is dropped beyond the hard
// limit; and a server with too many requests in flight stops reading the connections that
// have some of their own, as ZooKeeper's globalOutstandingLimit does.
import { describe, expect, it } from 'vitest';
import {
  ClientConnection,
  type ConnectionClock,
  type ConnectionHandler,
  type ConnectionLimits,
} from '../../../actors/server/client-connection.js';
import { ServerRequestsInFlight } from '../../../actors/server/connection-throttle.js';
import type { WriteSlot } from '../../../actors/server/request-queue.js';
import { ServerStatistics } from '../../../actors/server/statistics.js';
import {
  memorySocketPair,
  type MemoryClientSocket,
} from '../../../transport/memory-client-socket.js';

const kib = 1024;

/** Timers that never fire: the tests drive every step themselves. */
const stillClock: ConnectionClock = { setTimeout: () => undefined, clearTimeout: () => undefined };

/** A request frame asking for a reply of `bytes` (4-byte length, then the size as text). */
function request(bytes: number, kind: 'read' | 'write' = 'read'): Buffer {
  const body = Buffer.from(`${kind} ${bytes}`);
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length);
  body.copy(frame, 4);
  return frame;
}

function reply(bytes: number): Buffer {
  const frame = Buffer.alloc(bytes);
  frame.writeInt32BE(bytes - 4);
  return frame;
}

interface Harness {
  client: MemoryClientSocket;
  server: MemoryClientSocket;
  connection: ClientConnection;
  /** Requests handed to the server so far. */
  handed: () => number;
  /** Writes handed over and not yet answered, oldest first. */
  writes: WriteSlot[];
  events: string[];
}

/**
 * One connection whose server answers `read N` at once with an N-byte reply and queues
 * `write N` until the test answers it (as a write waits for its txn to be applied).
 */
function harness(limits: Partial<ConnectionLimits>, inFlight = new ServerRequestsInFlight()) {
  const { client, server } = memorySocketPair({
    clientAddress: '127.0.0.1',
    clientPort: 40_000,
    serverAddress: '127.0.0.1',
    serverPort: 2181,
  });
  let handed = 0;
  const writes: WriteSlot[] = [];
  const events: string[] = [];
  const handler: ConnectionHandler = {
    fourLetterWord: () => undefined,
    frame: (connection, frame) => {
      handed++;
      const [kind, size] = frame.toString().split(' ');
      const bytes = Number(size);
      if (kind === 'read') connection.queue.pushRead(() => reply(bytes));
      else writes.push(connection.queue.expectWrite(() => reply(bytes)));
    },
    overflowed: (_connection, unsentBytes) => events.push(`overflowed ${unsentBytes}`),
    closed: () => events.push('closed'),
  };
  const connection = new ClientConnection(
    server,
    handler,
    {
      frameBytesMax: 1024,
      sendQueueBytesThrottle: 64 * kib,
      sendQueueBytesMax: 1024 * kib,
      outstandingRequestsMax: 1000,
      ...limits,
    },
    new ServerStatistics(),
    { clock: stillClock, requestsInFlight: inFlight },
  );
  return { client, server, connection, handed: () => handed, writes, events } satisfies Harness;
}

/** Lets the queue's drained microtask run (it hands over what waited). */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('ClientConnection: unsent replies', () => {
  it('makes replies for a client that does not read only up to the throttle (64 KiB)', () => {
    const { client, server, connection, handed } = harness({});
    // One chunk holds 100 requests for 10 KiB each: 1000 KiB if all were answered.
    client.write(Buffer.concat(Array.from({ length: 100 }, () => request(10 * kib))));
    server.deliver();
    // 7 replies (70 KiB) pass the 64 KiB throttle: the 8th request is not handed over.
    expect(handed()).toBe(7);
    expect(connection.unsentBytes).toBe(70 * kib);
    expect(connection.interestOps).toBe(0);
    // Nothing more happens, however often the server end is offered a delivery.
    expect(server.deliver(10)).toBe(0);
    expect(handed()).toBe(7);
  });

  it('goes on once the client takes its replies, and answers every request in order', () => {
    const { client, server, connection, handed } = harness({});
    const received: number[] = [];
    client.on('data', (chunk) => received.push(chunk.length));
    client.write(Buffer.concat(Array.from({ length: 100 }, () => request(10 * kib))));
    server.deliver();
    let unsentMax = 0;
    for (let round = 0; round < 50 && received.length < 100; round++) {
      unsentMax = Math.max(unsentMax, connection.unsentBytes);
      client.deliver(client.deliverable);
      // The socket says drain: the held requests are handed over, up to the throttle again.
      server.deliver(server.deliverable);
    }
    expect(received).toEqual(Array.from({ length: 100 }, () => 10 * kib));
    expect(handed()).toBe(100);
    expect(unsentMax).toBeLessThanOrEqual(64 * kib + 10 * kib);
    expect(connection.interestOps).toBe(1);
  });

  it('drops a client whose replies outgrow the hard limit (1 MiB), and keeps nothing', () => {
    const { client, server, connection, handed, writes, events } = harness({});
    const clientEvents: string[] = [];
    client.on('close', () => clientEvents.push('close'));
    // Reads behind a write all run as it is applied: 200 × 10 KiB, well past the throttle.
    const reads = Array.from({ length: 200 }, () => request(10 * kib));
    client.write(Buffer.concat([request(100, 'write'), ...reads]));
    server.deliver();
    expect(handed()).toBe(201);
    writes[0]!.answer(reply(100));
    // The write's reply and 102 reads fit in 1 MiB; the 103rd would not.
    expect(events).toEqual([`overflowed ${100 + 103 * 10 * kib}`, 'closed']);
    expect(connection.isOpen).toBe(false);
    expect(connection.queue.length).toBe(0);
    // Reset: what was sent arrives, then the close, and nothing more is written.
    expect(server.write(Buffer.from('late'))).toBe(false);
    client.deliver(client.deliverable);
    expect(clientEvents).toEqual(['close']);
  });

  it('counts replies answered behind an unanswered request as unsent', () => {
    const { client, server, connection, handed, writes } = harness({});
    client.write(Buffer.concat([request(100, 'write'), request(80 * kib, 'write')]));
    server.deliver();
    writes[1]!.answer(reply(80 * kib));
    expect(connection.unsentBytes).toBe(80 * kib);
    client.write(request(10));
    server.deliver();
    expect(handed()).toBe(2);
    writes[0]!.answer(reply(100));
    expect(connection.queue.replyBytesWaiting).toBe(0);
    expect(connection.unsentBytes).toBe(100 + 80 * kib);
  });
});

describe('ClientConnection: requests in flight on the server (globalOutstandingLimit 4)', () => {
  it('stops reading connections with requests in flight while the server is over the limit',
    async () => {
      const inFlight = new ServerRequestsInFlight();
      const first = harness({ outstandingRequestsMax: 4 }, inFlight);
      const second = harness({ outstandingRequestsMax: 4 }, inFlight);
      const third = harness({ outstandingRequestsMax: 4 }, inFlight);
      first.client.write(Buffer.concat([request(10, 'write'), request(10, 'write')]));
      first.server.deliver();
      second.client.write(Buffer.concat([1, 2, 3].map(() => request(10, 'write'))));
      second.server.deliver();
      expect(inFlight.count).toBe(5);
      expect(second.connection.interestOps).toBe(0);
      // A connection with nothing in flight is still read (ZooKeeper's shouldThrottle), and
      // stops once its own request is in flight.
      expect(third.connection.interestOps).toBe(1);
      third.client.write(request(10, 'write'));
      third.server.deliver();
      expect(third.connection.interestOps).toBe(0);
      for (const { writes } of [first, second, third]) {
        for (const write of writes) write.answer(reply(10));
      }
      await settle();
      expect(inFlight.count).toBe(0);
      for (const { connection } of [first, second, third]) {
        expect(connection.interestOps).toBe(1);
      }
    });

  it('gives back its requests in flight when it closes', () => {
    const inFlight = new ServerRequestsInFlight();
    const { client, server, connection } = harness({ outstandingRequestsMax: 4 }, inFlight);
    client.write(Buffer.concat([request(10, 'write'), request(10, 'write')]));
    server.deliver();
    expect(inFlight.count).toBe(2);
    connection.close();
    expect(inFlight.count).toBe(0);
  });

  it('never holds more of its own than the limit, read or handed over', () => {
    const { client, server, connection, handed } = harness({ outstandingRequestsMax: 4 });
    client.write(Buffer.concat(Array.from({ length: 3 }, () => request(10, 'write'))));
    server.deliver();
    expect(connection.interestOps).toBe(1);
    client.write(request(10, 'write'));
    server.deliver();
    expect(handed()).toBe(4);
    expect(connection.interestOps).toBe(0);
    client.write(request(10, 'write'));
    expect(server.deliver()).toBe(0);
  });
});
