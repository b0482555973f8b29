// The frames a replica host sends to its peers: each message encoded once however many peers get
// it (a leader hands the same PROPOSAL object to every follower), and the frames and bytes sent
// on each link counted for corral_peer_sent_frames / corral_peer_sent_bytes.
import type { PeerMessage, ServerId } from '../../protocol/peer.js';
import { encodePeerMessage } from '../../protocol/peer-codec.js';

export class PeerFrames {
  /** The last message encoded, and its frame. */
  private last: { message: PeerMessage; frame: Buffer } | undefined;
  private readonly sent = new Map<ServerId, { frames: number; bytes: number }>();

  /** `proposalEncoded` hears each PROPOSAL's frame size once (mntr's proposal sizes). */
  constructor(private readonly proposalEncoded: (bytes: number) => void) {}

  /** The frame of `message` to `to`, counted as sent on that link. */
  frameTo(to: ServerId, message: PeerMessage): Buffer {
    if (this.last?.message !== message) {
      this.last = { message, frame: encodePeerMessage(message) };
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
}
