// The memory transport: per-connection FIFO, delivery only when told (never inside send),
// TCP-like faults (a lost frame breaks the connection, partitions, one-way partitions, resets),
// crashes and restarts, and the queue limit.
import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../transport/memory.js';
import type { Transport } from '../../transport/transport.js';

/** A network with replicas whose every event is recorded as a line like `2 frame 1 a`. */
function createNetwork(ids: number[], options = {}) {
  const network = new MemoryNetwork(options);
  const log: string[] = [];
  const transports = new Map<number, Transport>();
  const attach = (id: number) => {
    const transport = network.transport(id);
    transport.on('frame', (from, frame) =>
      log.push(`${id} frame ${from} ${Buffer.from(frame).toString()}`),
    );
    transport.on('connected', (peer) => log.push(`${id} connected ${peer}`));
    transport.on('disconnected', (peer, cause) =>
      log.push(`${id} disconnected ${peer} ${cause.reason}`),
    );
    transports.set(id, transport);
    return transport;
  };
  ids.forEach(attach);
  const send = (from: number, to: number, text: string) =>
    transports.get(from)?.send(to, Buffer.from(text));
  const take = () => log.splice(0);
  return { network, transports, attach, send, take };
}

describe('memory transport delivery', () => {
  it('delivers nothing inside send, only when told', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    expect(take()).toEqual([]);
    expect(network.pendingLinks()).toEqual([
      { from: 1, to: 2, queued: 2 },
      { from: 2, to: 1, queued: 1 },
    ]);
    expect(network.deliverAll()).toBe(3);
    expect(take()).toEqual(['2 connected 1', '1 connected 2', '2 frame 1 a']);
  });

  it('does not re-enter a listener that sends (a reply waits for the next delivery)', () => {
    const { network, transports, send, take } = createNetwork([1, 2]);
    const depth = { current: 0, maximum: 0 };
    transports.get(2)?.on('frame', (from) => {
      depth.current += 1;
      depth.maximum = Math.max(depth.maximum, depth.current);
      transports.get(2)?.send(from, Buffer.from('reply'));
      expect(take().at(-1)).toBe('2 frame 1 ping');
      depth.current -= 1;
    });
    send(1, 2, 'ping');
    network.deliverAll();
    expect(depth.maximum).toBe(1);
    expect(take()).toContain('1 frame 2 reply');
  });

  it('keeps each direction FIFO (100 frames each way, delivered link by link)', () => {
    const { network, send, take } = createNetwork([1, 2, 3]);
    for (let index = 0; index < 100; index++) {
      send(1, 2, `x${index}`);
      send(2, 1, `y${index}`);
      send(3, 2, `z${index}`);
    }
    // Deliver in an interleaving that favours one link, then another.
    network.deliver(3, 2, 40);
    network.deliver(2, 1, 101);
    network.deliverAll();
    const lines = take();
    const framesFrom = (receiver: number, sender: number) =>
      lines
        .filter((line) => line.startsWith(`${receiver} frame ${sender} `))
        .map((line) => line.split(' ')[3]);
    const sequence = (prefix: string) =>
      Array.from({ length: 100 }, (_, index) => `${prefix}${index}`);
    expect(framesFrom(2, 1)).toEqual(sequence('x'));
    expect(framesFrom(1, 2)).toEqual(sequence('y'));
    expect(framesFrom(2, 3)).toEqual(sequence('z'));
  });

  it('delivers one item per deliver() call and reports an empty link', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    send(1, 2, 'b');
    expect(network.deliver(1, 2)).toBe(1);
    expect(take()).toEqual(['2 connected 1']);
    expect(network.deliver(1, 2, 5)).toBe(2);
    expect(take()).toEqual(['2 frame 1 a', '2 frame 1 b']);
    expect(network.deliver(1, 2)).toBe(0);
  });

  it('copies frames, so a sender reusing its buffer cannot change one in flight', () => {
    const { network, transports, take } = createNetwork([1, 2]);
    const buffer = Buffer.from('before');
    transports.get(1)?.send(2, buffer);
    buffer.write('after!');
    network.deliverAll();
    expect(take()).toContain('2 frame 1 before');
  });

  it('tells a scheduler what was queued', () => {
    const { network, send } = createNetwork([1, 2]);
    const queued: string[] = [];
    network.on('queued', (from, to) => queued.push(`${from}->${to}`));
    send(1, 2, 'a');
    expect(queued).toEqual(['1->2', '2->1', '1->2']);
  });
});

describe('memory transport faults', () => {
  it('breaks the connection on a lost frame: both ends learn it, later frames flow again', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    send(1, 2, 'b');
    send(2, 1, 'c');
    expect(network.dropNext(1, 2)).toBe(true);
    network.deliverAll();
    expect(take()).toEqual([
      '2 connected 1',
      '1 connected 2',
      '2 disconnected 1 frameLost',
      '1 disconnected 2 frameLost',
    ]);
    expect(network.statistics.framesLost).toBe(3);
    send(1, 2, 'd');
    network.deliverAll();
    expect(take()).toEqual(['2 connected 1', '1 connected 2', '2 frame 1 d']);
  });

  it('loses frames across a partition and reconnects once healed', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    network.deliverAll();
    take();
    network.partition(1, 2);
    send(1, 2, 'lost');
    send(2, 1, 'also lost');
    network.deliverAll();
    expect(take()).toEqual(['2 disconnected 1 frameLost', '1 disconnected 2 frameLost']);
    expect(network.isConnected(1, 2)).toBe(false);
    network.heal(1, 2);
    send(2, 1, 'back');
    network.deliverAll();
    expect(take()).toEqual(['1 connected 2', '2 connected 1', '1 frame 2 back']);
  });

  it('loses frames already in flight when a partition starts', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'in flight');
    network.deliver(1, 2);
    network.partition(1, 2);
    network.deliverAll();
    expect(take()).toEqual([
      '2 connected 1',
      '1 connected 2',
      '2 disconnected 1 frameLost',
      '1 disconnected 2 frameLost',
    ]);
  });

  it('with a one-way partition, the open direction drains but no new connection forms', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    network.deliverAll();
    take();
    network.partition(1, 2, 'oneWay');
    send(2, 1, 'still flows');
    network.deliver(2, 1);
    expect(take()).toEqual(['1 frame 2 still flows']);
    send(1, 2, 'blocked');
    network.deliverAll();
    expect(take()).toEqual(['2 disconnected 1 frameLost', '1 disconnected 2 frameLost']);
    send(2, 1, 'no connection');
    network.deliverAll();
    expect(take()).toEqual([]);
  });

  it('isolates one replica from all others until healed', () => {
    const { network, send, take } = createNetwork([1, 2, 3]);
    network.isolate(3);
    send(1, 3, 'a');
    send(3, 2, 'b');
    send(1, 2, 'c');
    network.deliverAll();
    expect(take()).toEqual(['2 connected 1', '1 connected 2', '2 frame 1 c']);
    network.healAll();
    send(3, 2, 'd');
    network.deliverAll();
    expect(take()).toEqual(['2 connected 3', '3 connected 2', '2 frame 3 d']);
  });

  it('resets a connection without a lost frame', () => {
    const { network, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    network.reset(1, 2);
    network.deliverAll();
    expect(take()).toEqual([
      '2 connected 1',
      '1 connected 2',
      '2 disconnected 1 reset',
      '1 disconnected 2 reset',
    ]);
  });

  it('breaks a connection whose queue passes linkItemsMax, losing what it held (overflow)', () => {
    const { network, send, take } = createNetwork([1, 2], { linkItemsMax: 3 });
    for (let index = 0; index < 3; index++) send(1, 2, `f${index}`);
    expect(network.statistics.framesLost).toBe(3);
    network.deliverAll();
    expect(take()).toEqual([
      '2 connected 1',
      '1 connected 2',
      '2 disconnected 1 overflow',
      '1 disconnected 2 overflow',
    ]);
  });

  it('treats a closed transport as a crash: peers see peerClosed, a restart reconnects', () => {
    const { network, transports, attach, send, take } = createNetwork([1, 2]);
    send(1, 2, 'a');
    network.deliverAll();
    take();
    send(1, 2, 'never read');
    transports.get(2)?.close();
    send(1, 2, 'to nobody');
    network.deliverAll();
    expect(take()).toEqual(['1 disconnected 2 peerClosed']);
    expect(() => network.transport(1)).toThrow(/already attached/);
    attach(2);
    send(2, 1, 'restarted');
    network.deliverAll();
    expect(take()).toEqual(['1 connected 2', '2 connected 1', '1 frame 2 restarted']);
  });

  it('throws when peers never go quiet (a livelock in the code under test)', () => {
    const { network, transports, send } = createNetwork([1, 2]);
    for (const [id, transport] of transports) {
      transport.on('frame', (from) => transport.send(from, Buffer.from(`echo ${id}`)));
    }
    send(1, 2, 'start');
    expect(() => network.deliverAll(50)).toThrow(/still busy after 50/);
  });
});

describe('memory transport wire versions', () => {
  it('reports the lower of two ends\' versionMax while connected, and none when not', () => {
    const { network, transports, send } = createNetwork([1, 2, 3], {
      versionsMax: new Map([[2, 4]]),
    });
    expect(transports.get(1)?.peerVersion(3)).toBeUndefined();
    send(1, 2, 'a');
    send(1, 3, 'b');
    network.deliverAll();
    expect(transports.get(1)?.peerVersion(2)).toBe(4);
    expect(transports.get(2)?.peerVersion(1)).toBe(4);
    expect(transports.get(1)?.peerVersion(3)).toBe(5);
    network.reset(1, 2);
    expect(transports.get(1)?.peerVersion(2)).toBeUndefined();
  });

  it('speaks a restarted replica\'s new versionMax (a rolling upgrade step)', () => {
    const network = new MemoryNetwork({ versionsMax: new Map([[2, 4]]) });
    const one = network.transport(1);
    network.transport(2).close();
    const two = network.transport(2, { versionMax: 5 });
    two.setPeers(new Map());
    one.send(2, Buffer.from('x'));
    network.deliverAll();
    expect(one.peerVersion(2)).toBe(5);
  });
});
