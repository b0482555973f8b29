// The in-memory client socket pair: bytes move only when delivered, in order, never inside
// write(); closes reach the other end on a later delivery, as TCP's FIN and RST would; and the
// server's ClientConnection takes it where it takes a net.Socket.
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientSocket } from '../../actors/server/client-connection.js';
import { memorySocketPair, type MemoryClientSocket } from '../../transport/memory-client-socket.js';

function pair() {
  return memorySocketPair({
    clientAddress: '10.0.0.1',
    clientPort: 40_000,
    serverAddress: '10.0.1.1',
    serverPort: 2181,
  });
}

/** Every event an end says, in order, as text. */
function record(end: MemoryClientSocket): string[] {
  const events: string[] = [];
  end.on('data', (chunk) => events.push(`data ${chunk.toString()}`));
  end.on('error', (error) => events.push(`error ${error.message}`));
  end.on('close', () => events.push('close'));
  return events;
}

describe('memory client socket', () => {
  it('names the other end as its remote address and port', () => {
    const { client, server } = pair();
    expect([client.remoteAddress, client.remotePort]).toEqual(['10.0.1.1', 2181]);
    expect([server.remoteAddress, server.remotePort]).toEqual(['10.0.0.1', 40_000]);
  });

  it('delivers written bytes only when told, in order, as many items as asked', () => {
    const { client, server } = pair();
    const events = record(server);
    client.write(Buffer.from('a'));
    client.write(Buffer.from('b'));
    client.write(Buffer.from('c'));
    expect(events).toEqual([]);
    expect(server.deliverable).toBe(3);
    expect(server.deliver(2)).toBe(2);
    expect(events).toEqual(['data a', 'data b']);
    expect(server.deliver(5)).toBe(1);
    expect(events).toEqual(['data a', 'data b', 'data c']);
    expect(server.deliver()).toBe(0);
  });

  it('never re-enters: an answer written inside a listener waits for its own delivery', () => {
    const { client, server } = pair();
    const clientEvents = record(client);
    server.on('data', (chunk) => server.write(Buffer.from(`echo ${chunk.toString()}`)));
    client.on('data', () => {
      // The server's listener is not running underneath: nothing is delivered inside write().
      expect(server.deliverable).toBe(0);
    });
    client.write(Buffer.from('ping'));
    server.deliver();
    expect(clientEvents).toEqual([]);
    expect(client.deliverable).toBe(1);
    client.deliver();
    expect(clientEvents).toEqual(['data echo ping']);
  });

  it('end: the peer reads what came before, then the FIN; it answers it and both say close', () => {
    const { client, server } = pair();
    const [clientEvents, serverEvents] = [record(client), record(server)];
    server.end(Buffer.from('last'));
    expect(server.write(Buffer.from('too late'))).toBe(false);
    expect(client.deliverable).toBe(2);
    client.deliver(2);
    expect(clientEvents).toEqual(['data last', 'close']);
    // The client's own FIN went back; the server learns the connection is over from it.
    expect(serverEvents).toEqual([]);
    expect(server.isOpen).toBe(true);
    server.deliver();
    expect(serverEvents).toEqual(['close']);
    expect([client.isOpen, server.isOpen]).toEqual([false, false]);
  });

  it('destroy: the peer gets what was in flight, then close; the destroyer closes next', () => {
    const { client, server } = pair();
    const [clientEvents, serverEvents] = [record(client), record(server)];
    client.write(Buffer.from('request'));
    server.write(Buffer.from('reply'));
    client.destroy();
    // What the client had not read is gone; it says close on its next delivery, not inside.
    expect(clientEvents).toEqual([]);
    expect(client.deliverable).toBe(1);
    client.deliver();
    expect(clientEvents).toEqual(['close']);
    expect(client.write(Buffer.from('after'))).toBe(false);
    // Bytes the server sends before it learns of the reset are discarded.
    server.write(Buffer.from('late'));
    expect(client.deliverable).toBe(0);
    server.deliver(5);
    expect(serverEvents).toEqual(['data request', 'close']);
  });

  it('a paused end holds bytes and FINs, not a reset, until resumed', () => {
    const { client, server } = pair();
    const serverEvents = record(server);
    server.pause();
    client.write(Buffer.from('held'));
    expect(server.deliverable).toBe(0);
    expect(server.deliver()).toBe(0);
    server.resume();
    server.deliver();
    expect(serverEvents).toEqual(['data held']);
    server.pause();
    client.destroy();
    expect(server.deliverable).toBe(1);
    server.deliver();
    expect(serverEvents).toEqual(['data held', 'close']);
  });

  it('counts what the peer has not taken as unsent, and says drain once it took it all', () => {
    const { client, server } = pair();
    let drains = 0;
    server.on('drain', () => drains++);
    const half = Buffer.alloc(server.writableHighWaterMark / 2);
    expect(server.write(half)).toBe(true);
    expect(server.writableLength).toBe(half.length);
    // Reaching the high-water mark returns false, as net.Socket's write does.
    expect(server.write(half)).toBe(false);
    expect(server.writableLength).toBe(2 * half.length);
    client.deliver();
    expect(server.writableLength).toBe(half.length);
    expect(server.deliverable).toBe(0);
    client.deliver();
    expect(server.writableLength).toBe(0);
    // The drain is the scheduler's to deliver, even to a paused end, never inside the peer's read.
    expect(drains).toBe(0);
    server.pause();
    expect(server.deliverable).toBe(1);
    server.deliver();
    expect(drains).toBe(1);
    expect(server.deliverable).toBe(0);
  });

  it('says no drain for writes that stayed below the mark, nor for bytes a reset dropped', () => {
    const { client, server } = pair();
    let drains = 0;
    server.on('drain', () => drains++);
    server.write(Buffer.from('small'));
    client.deliver();
    expect(server.deliverable).toBe(0);
    server.write(Buffer.alloc(server.writableHighWaterMark));
    client.destroy();
    expect(server.writableLength).toBe(0);
    server.deliver(5);
    expect(drains).toBe(0);
  });

  it('has the socket methods ClientConnection uses, as net.Socket does', () => {
    const { server } = pair();
    const memory: ClientSocket = server;
    const tcp: ClientSocket = new Socket();
    for (const socket of [memory, tcp]) {
      for (const method of ['on', 'write', 'end', 'destroy', 'pause', 'resume', 'cork'] as const) {
        expect(typeof socket[method]).toBe('function');
      }
    }
    tcp.destroy();
  });
});
