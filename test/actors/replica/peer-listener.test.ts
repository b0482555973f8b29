// A replica's peer listener over the memory transport: frames and link events from ids outside
// the configuration never reach the machine; they are counted (what
// corral_peer_stranger_frames_dropped_total exports) and warned of at most once a second.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PeerOutbox } from '../../../actors/replica/outbox.js';
import { SnapAssembler } from '../../../actors/replica/snap-assembler.js';
import { PeerListener } from '../../../actors/replica/peer-listener.js';
import type { ReplicaEvent } from '../../../machines/replica-context.js';
import { MemoryNetwork } from '../../../transport/memory.js';

describe('PeerListener: a stranger on the peer network', () => {
  it('drops and counts its frames, hides its links, and warns once a second', () => {
    const warnings: unknown[] = [];
    const logger = pino({ level: 'warn' },
      { write: (line: string) => warnings.push(JSON.parse(line)) });
    const network = new MemoryNetwork();
    const replica = network.transport(1);
    const member = network.transport(2);
    const stranger = network.transport(99);
    const delivered: ReplicaEvent[] = [];
    let nowMs = 10_000;
    const listener = new PeerListener({
      outbox: new PeerOutbox(replica, logger, { nextTurn: () => Promise.resolve(),
        sleep: () => Promise.resolve() }),
      snapAssembler: new SnapAssembler(1 << 20),
      logger,
      drainTouches: () => [],
      deliver: (event) => delivered.push(event),
    }, (peer) => peer === 1 || peer === 2 || peer === 3,
    { now: () => nowMs, setTimeout: () => undefined, clearTimeout: () => undefined });
    listener.listen(replica);

    for (const text of ['vote', 'proposal', 'commit']) stranger.send(1, Buffer.from(text));
    network.deliver(99, 1, 10);
    expect(listener.strangerFramesDropped).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ peer: 99, dropped: 1 });

    nowMs += 1_500;
    stranger.send(1, Buffer.from('again'));
    network.deliver(99, 1, 10);
    expect(listener.strangerFramesDropped).toBe(4);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ peer: 99, dropped: 4 });

    // A member's link is the machine's business; the stranger's never was.
    member.send(1, Buffer.alloc(0));
    network.deliver(2, 1, 1);
    expect(delivered.filter((event) => event.type === 'peer.connected'))
      .toEqual([{ type: 'peer.connected', peer: 2 }]);
  });
});
