// Deliberately broken replica hosts: each breaks one rule of the host layer (the order rule of
// actors/replica/effects.ts, the outbox's silence after a given-up stream), so the simulator can
// show that it notices. Each is the real host with one effect handler or its outbox replaced
// through the options a world may pass; nothing of this is in production's code path.
import type { MachineInbox } from '../actors/replica/host-options.js';
import type { EffectHandlers } from '../actors/replica/effects.js';
import { PeerOutbox, type Stream } from '../actors/replica/outbox.js';
import type { ServerId } from '../protocol/peer.js';
import type { HostVariantOptions } from './replica-host.js';

/**
 * A host that reports an append durable as soon as it is queued: a follower then ACKs a
 * proposal its disk may still lose, and a leader counts its own log as durable too early.
 */
export const ackBeforeFsyncHost: HostVariantOptions = {
  decorateEffects: (handlers: EffectHandlers, host: MachineInbox): EffectHandlers => ({
    ...handlers,
    appendProposals: (params) => {
      handlers.appendProposals(params);
      const last = params.txns[params.txns.length - 1];
      if (last === undefined) return;
      // After the transition, as a storage completion would arrive: but before any fsync.
      queueMicrotask(() => host.send({ type: 'storage.appended', zxid: last.zxid }));
    },
  }),
};

/** An outbox that, having given up a learner's sync stream, still sends it what follows. */
class UnsilencedOutbox extends PeerOutbox {
  protected override giveUp(to: ServerId, stream: Stream): void {
    super.giveUp(to, stream);
    this.silenced.delete(to);
  }
}

export const streamAfterGiveUpHost: HostVariantOptions = {
  createOutbox: (...parameters) => new UnsilencedOutbox(...parameters),
};
