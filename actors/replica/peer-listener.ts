// The listening side of a replica host's peer links: frames from the configuration's members go
// to the inbox, link events become machine events, and frames from ids outside it are dropped,
// counted and warned of at most once a second.
import type { ServerId } from '../../protocol/peer.js';
import type { Transport } from '../../transport/transport.js';
import { receivePeerFrame, type PeerInboxParts } from './peer-inbox.js';
import type { ReplicaWorld } from './world.js';

export class PeerListener {
  /** Frames from ids outside the configuration, dropped (the simulator's stranger counts them). */
  strangerFramesDropped = 0;
  private strangerWarnedAtMs = -Infinity;

  constructor(
    private readonly inbox: PeerInboxParts,
    /** Is `peer` in the configuration (or may it link to join: HostMembership.isHeard)? */
    private readonly isMember: (peer: ServerId) => boolean,
    private readonly clock: ReplicaWorld['clock'],
  ) {}

  listen(network: Transport): void {
    const isMember = this.isMember;
    network.on('frame', (from, frame) => {
      if (isMember(from)) receivePeerFrame(this.inbox, from, frame);
      else this.dropStrangerFrame(from);
    });
    network.on('connected', (peer) => {
      if (isMember(peer)) this.inbox.deliver({ type: 'peer.connected', peer });
    });
    network.on('disconnected', (peer, cause) => {
      if (!isMember(peer)) return;
      this.inbox.logger.debug({ peer, cause }, 'peer link down');
      this.inbox.outbox.abort(peer);
      this.inbox.snapAssembler.forget(peer);
      this.inbox.deliver({ type: 'peer.disconnected', peer });
    });
  }

  private dropStrangerFrame(from: ServerId): void {
    this.strangerFramesDropped += 1;
    const nowMs = this.clock.now();
    if (nowMs - this.strangerWarnedAtMs < 1_000) return;
    this.strangerWarnedAtMs = nowMs;
    const dropped = this.strangerFramesDropped;
    this.inbox.logger.warn({ peer: from, dropped },
      'frame from an id outside the ensemble dropped');
  }
}
