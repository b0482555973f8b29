// Everything the replica runtime sends to its peers goes through here, so that a learner's sync
// stream can be streamed: its frames are encoded a slice per event-loop turn (a SNAP's snapshot
// as SNAPPART pieces ending with the SNAP, a DIFF's txns as PROPOSAL batches), paced by the
// link's send queue, while whatever the machine sends that learner meanwhile (NEWLEADER, new
// proposals, ...) waits behind it in order. A leader thus never stalls its other followers'
// pings encoding a large tree or a long log tail, and never holds either whole. The receiving
// side (snap-assembler.ts) joins SNAPPART pieces back into the one SNAP its machine expects.

import type { Logger } from 'pino';
import { encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessageOf, ServerId } from '../../protocol/peer.js';
import { snapshotPieces } from '../../storage/snapshot-file.js';
import type { TreeCapture } from '../../tree/snapshot.js';
import type { Transport } from '../../transport/transport.js';

/**
 * A SNAP as frames: its snapshot encoded from `capture` one SNAPPART of about `partBytes` at a
 * time, the last piece carried by the SNAP itself. Releases the capture when done or closed.
 */
export function* snapFrames(
  snap: PeerMessageOf<'snap'>,
  capture: TreeCapture,
  partBytes = snapPartBytes,
): Generator<Uint8Array> {
  let previous: Buffer | undefined;
  for (const piece of snapshotPieces(capture, partBytes)) {
    if (previous !== undefined) yield encodePeerMessage({ type: 'snapPart', bytes: previous });
    previous = piece;
  }
  const snapshot = { ...snap.snapshot, bytes: previous ?? Buffer.alloc(0) };
  yield encodePeerMessage({ ...snap, snapshot });
}

/** The part of the transport the outbox uses. */
export type OutboxTransport = Pick<Transport, 'send' | 'linkState'>;

/** How the outbox's streams yield, in the world they run in (actors/replica/world.ts). */
export interface OutboxPacing {
  /** Resolves once the current turn of the event loop is over. */
  nextTurn(): Promise<void>;
  /** Resolves after `ms` on the world's clock. */
  sleep(ms: number): Promise<void>;
  /** Bytes of snapshot per SNAPPART (the simulator's small trees need small ones to be cut). */
  snapPartBytes?: number;
  /** Frame bytes sent in one turn before a stream yields. */
  sliceBytesMax?: number;
  /** Frame bytes held behind one stream before it is given up (the simulator's are few). */
  waitingBytesMax?: number;
}

/** Bytes of snapshot per SNAPPART: a few milliseconds of encoding, one turn of the event loop. */
export const snapPartBytes = 1024 * 1024;
/** Frames sent in one event-loop turn before the stream yields (and checks the link). */
const sliceBytesMaxDefault = 1024 * 1024;
/** The stream waits while the link's queue holds more than this (a slow or distant learner). */
const queuedBytesHigh = 32 * 1024 * 1024;
const drainPollMs = 5;
/** Frames held behind one stream at most; past this the stream is given up (the learner's sync
 * then times out and it tries again) rather than buffering without bound. */
const waitingBytesMaxDefault = 512 * 1024 * 1024;

export interface StreamOutcome {
  /** Every frame went out (false: abandoned part way). */
  sent: boolean;
  bytes: number;
  ms: number;
  /** The longest the stream held the event loop at once (encoding and sending one slice). */
  longestSliceMs: number;
  /** Slices it was sent in: turns of the event loop it took, about one per sliceBytesMax. */
  slices: number;
}

export interface Stream {
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
  protected readonly silenced = new Set<ServerId>();
  private readonly sliceBytesMax: number;
  private readonly waitingBytesMax: number;
  /** Bytes of snapshot per SNAPPART in this world (see OutboxPacing). */
  readonly snapPartBytes: number;

  constructor(
    private readonly transport: OutboxTransport,
    private readonly logger: Logger,
    private readonly pacing: OutboxPacing,
  ) {
    this.sliceBytesMax = pacing.sliceBytesMax ?? sliceBytesMaxDefault;
    this.waitingBytesMax = pacing.waitingBytesMax ?? waitingBytesMaxDefault;
    this.snapPartBytes = pacing.snapPartBytes ?? snapPartBytes;
  }

  send(to: ServerId, frame: Uint8Array): void {
    if (this.silenced.has(to)) return;
    const stream = this.streams.get(to);
    if (stream === undefined) {
      this.transport.send(to, frame);
      return;
    }
    stream.waiting.push(frame);
    stream.waitingBytes += frame.byteLength;
    if (stream.waitingBytes > this.waitingBytesMax) {
      this.logger.warn({ learner: to, waitingBytes: stream.waitingBytes }, 'sync stream given up');
      this.giveUp(to, stream);
    }
  }

  /** `to` starts over with this leader (FOLLOWERINFO), or a new sync stream for it begins:
   * whatever an earlier one left undone is forgotten. */
  beginSync(to: ServerId): void {
    this.abort(to);
  }

  /**
   * Sends `frames` to `to` a slice per event-loop turn (each frame encoded as the generator
   * reaches it); later sends to `to` follow them. `ended` hears how it went, once: 'sent', or
   * 'abandoned' (link lost, superseded, given up, or the generator threw).
   */
  stream(
    to: ServerId,
    frames: Generator<Uint8Array>,
    ended: (outcome: StreamOutcome) => void = () => undefined,
  ): void {
    this.beginSync(to);
    const stream: Stream = { waiting: [], waitingBytes: 0, aborted: false };
    this.streams.set(to, stream);
    void this.run(to, stream, frames, ended);
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

  /** The stream to `to` will send nothing more, and neither will anything after it. */
  protected giveUp(to: ServerId, stream: Stream): void {
    stream.aborted = true;
    if (this.streams.get(to) === stream) {
      this.streams.delete(to);
      this.silenced.add(to);
    }
  }

  private async run(
    to: ServerId,
    stream: Stream,
    frames: Generator<Uint8Array>,
    ended: (outcome: StreamOutcome) => void,
  ): Promise<void> {
    const startedAt = performance.now();
    let outcome: StreamOutcome = { sent: false, bytes: 0, ms: 0, longestSliceMs: 0, slices: 1 };
    let sliceStartedAt = startedAt;
    let sliceBytes = 0;
    try {
      for (const frame of frames) {
        this.transport.send(to, frame);
        outcome.bytes += frame.byteLength;
        sliceBytes += frame.byteLength;
        if (sliceBytes < this.sliceBytesMax) continue;
        outcome.longestSliceMs =
          Math.max(outcome.longestSliceMs, performance.now() - sliceStartedAt);
        sliceBytes = 0;
        if (!(await this.paced(to, stream))) return;
        outcome.slices++;
        sliceStartedAt = performance.now();
      }
      outcome.longestSliceMs = Math.max(outcome.longestSliceMs, performance.now() - sliceStartedAt);
      if (stream.aborted) return;
      if (this.streams.get(to) === stream) this.streams.delete(to);
      for (const frame of stream.waiting) this.transport.send(to, frame);
      outcome = { ...outcome, sent: true };
    } catch (error) {
      // Encoding failed (a bug, not the network): the learner gets nothing more and times out
      // its sync, as if the link had broken.
      this.logger.error({ learner: to, error: String(error) }, 'sync stream failed');
      this.giveUp(to, stream);
    } finally {
      frames.return(undefined);
      ended({ ...outcome, ms: performance.now() - startedAt });
    }
  }

  /** Yields the event loop, then waits while the link's queue is full; false once aborted. */
  private async paced(to: ServerId, stream: Stream): Promise<boolean> {
    await this.pacing.nextTurn();
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
      await this.pacing.sleep(drainPollMs);
    }
  }
}
