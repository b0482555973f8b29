// The frames a replica host sends to its peers: each message encoded once however many peers get
// it (a leader hands the same PROPOSAL object to every follower), and the frames and bytes sent
// on each link counted for corral_peer_sent_frames / corral_peer_sent_bytes. REQUEST and PING go
// in their compact form to a peer that announced peer protocol 4 (its FOLLOWERINFO,
// OBSERVERINFO or LEADERINFO), ACK to one that announced 5, the named one to an older peer.
import type { PeerMessage, ServerId } from '../../protocol/peer.js';
import { compactSince, encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerLinkFigures } from '../server/statistics.js';

export class PeerFrames {
  /** The last message encoded, and its frame. */
  private last: { message: PeerMessage; compact: boolean; frame: Buffer } | undefined;
  private readonly sent = new Map<ServerId, { frames: number; bytes: number }>();
  /** The peer protocol each peer last announced. */
  private readonly versions = new Map<ServerId, number>();

  /**
   * `proposalEncoded` hears each PROPOSAL's frame size once (mntr's proposal sizes);
   * `ownVersion` is the peer protocol this replica speaks (an older release's, in tests).
   */
  constructor(
    private readonly proposalEncoded: (bytes: number) => void,
    private readonly ownVersion: () => number,
  ) {}

  /** A message from `from`: what it announces of its peer protocol is kept. */
  heard(from: ServerId, message: PeerMessage): void {
    if (message.type === 'followerInfo' || message.type === 'observerInfo' ||
      message.type === 'leaderInfo') {
      this.versions.set(from, message.protocolVersion);
    }
  }

  /** The frame of `message` to `to`, counted as sent on that link. */
  frameTo(to: ServerId, message: PeerMessage): Buffer {
    const since = compactSince.get(message.type);
    const compact = since !== undefined && this.ownVersion() >= since &&
      (this.versions.get(to) ?? 0) >= since;
    if (this.last?.message !== message || this.last.compact !== compact) {
      this.last = { message, compact, frame: encodePeerMessage(message, compact) };
      if (message.type === 'proposal') this.proposalEncoded(this.last.frame.length);
    }
    const frame = this.last.frame;
    const sent = this.sent.get(to);
    if (sent === undefined) this.sent.set(to, { frames: 1, bytes: frame.byteLength });
    else {
      sent.frames += 1;
      sent.bytes += frame.byteLength;
    }
    return frame;
  }

  /** Frames and bytes sent to `peer` since the host started. */
  sentTo(peer: ServerId): { frames: number; bytes: number } {
    return this.sent.get(peer) ?? { frames: 0, bytes: 0 };
  }

  /** Bytes waiting on each of `peers`' links (`queuedBytes`, corral_peer_queue_bytes), and the
   * frames and bytes sent on it (corral_peer_sent_frames / _bytes). */
  linkFigures(peers: readonly ServerId[], queuedBytes: (peer: ServerId) => number):
    PeerLinkFigures[] {
    return peers.map((peer) => ({
      peer,
      queuedBytes: queuedBytes(peer),
      framesSent: this.sentTo(peer).frames,
      bytesSent: this.sentTo(peer).bytes,
    }));
  }
}
