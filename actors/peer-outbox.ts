// Everything the replica runtime sends to its peers goes through here, so that a SNAP can be
// streamed: its snapshot is encoded one piece per event-loop turn and sent as SNAPPART messages
// ending with the SNAP, paced by the link's send queue, while whatever the machine sends that
// learner meanwhile (the txns after the snapshot, NEWLEADER, ...) waits behind it in order. A
// leader thus never stalls its other followers' pings encoding a large tree, and never holds
// that tree's bytes whole. The receiving side (SnapAssembler) joins the pieces back into the one
// SNAP its machine expects.

import type { Logger } from 'pino';
import { encodePeerMessage } from '../protocol/peer-codec.js';
import type { PeerMessageOf, ServerId } from '../protocol/peer.js';
import { snapshotPieces } from '../storage/snapshot-file.js';
import type { TreeCapture } from '../tree/snapshot.js';

/** The part of the TCP transport the outbox uses. */
export interface OutboxTransport {
  send(to: ServerId, frame: Uint8Array): void;
  linkState(peer: ServerId): { state: string; queuedBytes: number };
}

/** Bytes of snapshot per SNAPPART: a few milliseconds of encoding, one turn of the event loop. */
export const snapPartBytes = 1024 * 1024;
/** The stream waits while the link's queue holds more than this (a slow or distant learner). */
const queuedBytesHigh = 32 * 1024 * 1024;
const drainPollMs = 5;
/** Frames held behind one stream at most; past this the stream is given up (the learner's sync
 * then times out and it tries again) rather than buffering without bound. */
const waitingBytesMax = 512 * 1024 * 1024;

interface Stream {
  /** Frames sent to this peer while its stream runs, in order. */
  readonly waiting: Uint8Array[];
  waitingBytes: number;
  /** Set once the stream will send nothing more. */
  aborted: boolean;
}

export class PeerOutbox {
  private readonly streams = new Map<ServerId, Stream>();
  /**
   * Learners whose stream was given up while their link stayed up. Nothing more is sent to
   * them until they start over (FOLLOWERINFO, a new sync, or a new link): frames that followed
   * a missing SNAP would let the learner log proposals after a gap. Unanswered, its sync times
   * out and it tries again.
   */
  private readonly silenced = new Set<ServerId>();

  constructor(
    private readonly transport: OutboxTransport,
    private readonly logger: Logger,
  ) {}

  send(to: ServerId, frame: Uint8Array): void {
    if (this.silenced.has(to)) return;
    const stream = this.streams.get(to);
    if (stream === undefined) {
      this.transport.send(to, frame);
      return;
    }
    stream.waiting.push(frame);
    stream.waitingBytes += frame.byteLength;
    if (stream.waitingBytes > waitingBytesMax) {
      this.logger.warn({ learner: to, waitingBytes: stream.waitingBytes }, 'SNAP stream given up');
      this.giveUp(to, stream);
    }
  }

  /** `to` starts over with this leader (FOLLOWERINFO), or a new sync stream for it begins:
   * whatever an earlier one left undone is forgotten. */
  beginSync(to: ServerId): void {
    this.abort(to);
  }

  /**
   * Streams `snap` to `to`, its snapshot encoded from `capture` as it goes (snap's own bytes are
   * replaced by the last piece); later sends to `to` follow it. Releases the capture.
   */
  streamSnapshot(to: ServerId, snap: PeerMessageOf<'snap'>, capture: TreeCapture): void {
    this.beginSync(to);
    const stream: Stream = { waiting: [], waitingBytes: 0, aborted: false };
    this.streams.set(to, stream);
    void this.run(to, stream, snap, snapshotPieces(capture, snapPartBytes));
  }

  /**
   * The link to `to` is gone, or this replica no longer leads: the rest of a stream is not sent.
   * (Frames the machine sends afterwards pass: it sends none to a learner it has dropped.)
   */
  abort(to: ServerId): void {
    this.silenced.delete(to);
    const stream = this.streams.get(to);
    if (stream === undefined) return;
    stream.aborted = true;
    this.streams.delete(to);
  }

  abortAll(): void {
    for (const peer of [...this.streams.keys()]) this.abort(peer);
    this.silenced.clear();
  }

  private giveUp(to: ServerId, stream: Stream): void {
    stream.aborted = true;
    if (this.streams.get(to) === stream) {
      this.streams.delete(to);
      this.silenced.add(to);
    }
  }

  private async run(
    to: ServerId,
    stream: Stream,
    snap: PeerMessageOf<'snap'>,
    pieces: Generator<Buffer>,
  ): Promise<void> {
    const startedAt = performance.now();
    let sentBytes = 0;
    let previous: Buffer | undefined;
    try {
      for (const piece of pieces) {
        if (previous !== undefined) {
          this.transport.send(to, encodePeerMessage({ type: 'snapPart', bytes: previous }));
          sentBytes += previous.length;
        }
        previous = piece;
        if (!(await this.paced(to, stream))) return;
      }
      const last = previous ?? Buffer.alloc(0);
      const snapshot = { ...snap.snapshot, bytes: last };
      this.transport.send(to, encodePeerMessage({ ...snap, snapshot }));
      sentBytes += last.length;
      if (this.streams.get(to) === stream) this.streams.delete(to);
      for (const frame of stream.waiting) this.transport.send(to, frame);
      this.logger.info(
        { learner: to, bytes: sentBytes, ms: Math.round(performance.now() - startedAt) },
        'SNAP streamed',
      );
    } catch (error) {
      // Encoding failed (a bug, not the network): the learner gets nothing more and times out
      // its sync, as if the link had broken.
      this.logger.error({ learner: to, error: String(error) }, 'SNAP stream failed');
      this.giveUp(to, stream);
    } finally {
      pieces.return(undefined);
    }
  }

  /** Yields the event loop, then waits while the link's queue is full; false once aborted. */
  private async paced(to: ServerId, stream: Stream): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (stream.aborted) return false;
      const link = this.transport.linkState(to);
      if (link.state !== 'connected') {
        // Frames for a link that is down would reach the learner's next connection, after it
        // has forgotten this stream's first pieces.
        this.giveUp(to, stream);
        return false;
      }
      if (link.queuedBytes <= queuedBytesHigh) return true;
      await new Promise((resolve) => setTimeout(resolve, drainPollMs));
    }
  }
}

/** The learner's side: SNAPPART pieces from a peer, joined into the SNAP that ends them. */
export class SnapAssembler {
  private readonly pieces = new Map<
    ServerId,
    { parts: Uint8Array[]; bytes: number; refused: boolean }
  >();

  constructor(private readonly bytesMax: number) {}

  /** Keeps a piece; false once the pieces from `from` pass bytesMax (its SNAP is then refused). */
  addPart(from: ServerId, bytes: Uint8Array): boolean {
    const entry = this.pieces.get(from) ?? { parts: [], bytes: 0, refused: false };
    this.pieces.set(from, entry);
    if (entry.refused) return false;
    entry.parts.push(bytes);
    entry.bytes += bytes.length;
    if (entry.bytes <= this.bytesMax) return true;
    entry.refused = true;
    entry.parts = [];
    return false;
  }

  /**
   * The SNAP with the pieces before it joined in front of its own bytes; undefined when its
   * pieces were refused as too large.
   */
  complete(from: ServerId, snap: PeerMessageOf<'snap'>): PeerMessageOf<'snap'> | undefined {
    const entry = this.pieces.get(from);
    if (entry === undefined) return snap;
    this.pieces.delete(from);
    if (entry.refused || entry.bytes + snap.snapshot.bytes.length > this.bytesMax) {
      return undefined;
    }
    const bytes = Buffer.concat([...entry.parts, snap.snapshot.bytes],
      entry.bytes + snap.snapshot.bytes.length);
    return { ...snap, snapshot: { ...snap.snapshot, bytes } };
  }

  /** The link to `from` broke: a stream on it can never complete. */
  forget(from: ServerId): void {
    this.pieces.delete(from);
  }
}
