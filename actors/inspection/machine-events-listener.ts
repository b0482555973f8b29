// One listener of a replica's machine event stream: records go to its sink while the sink takes
// them, wait in a queue bounded in bytes while it does not, and are dropped past that bound. A
// listener that dropped records is given a gap and every live actor's state once its queue has
// drained, so its picture is whole again: a slow reader never holds the replica back and never
// makes it hold more than the bound.
import type { StreamMessage } from '../../protocol/machine-stream.js';

/** Where a listener's records go: an HTTP response, a trace file, a test's array. */
export interface StreamSink {
  /** Takes one message and its JSON text; false when the sink is full (wait for `drained`). */
  write(message: StreamMessage, text: string): boolean;
}

/** Per listener: records waiting for a full sink, in bytes of their text. */
export const listenerQueueBytesDefault = 1024 * 1024;

/** What the listener asks of its hub: the gap record and the picture of every live actor. */
export interface ListenerSource {
  /** A gap record for `dropped` records, followed by every live actor's actor record. */
  resynchronization(dropped: number): Array<{ message: StreamMessage; text: string }>;
  removeListener(listener: StreamListener): void;
}

/** Sent slots at the queue's head are cut away past this many. */
const compactAfter = 1024;

interface Queued {
  message: StreamMessage;
  text: string;
  /** Live records count against the bound; a picture is as large as the actors alive. */
  counted: boolean;
}

export class StreamListener {
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private countedBytes = 0;
  private pictureBytes = 0;
  /** The sink said it is full: records queue until it drains. */
  private blocked = false;
  /** Records dropped since the queue last overflowed; a gap reports them once drained. */
  private dropping = 0;
  private closed = false;
  /** Every record this listener dropped, and gaps it was sent (figures, tests). */
  droppedTotal = 0;
  gaps = 0;
  /** The most bytes the queue ever held. */
  queuedBytesPeak = 0;

  constructor(
    private readonly sink: StreamSink,
    private readonly source: ListenerSource,
    readonly queueBytesMax: number = listenerQueueBytesDefault,
  ) {}

  /** Bytes waiting for the sink now. */
  get queuedBytes(): number {
    return this.countedBytes + this.pictureBytes;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A record of the stream, in the order the hub made them. */
  offer(message: StreamMessage, text: string): void {
    if (this.closed) return;
    if (this.dropping > 0) {
      this.drop();
      return;
    }
    if (!this.blocked && this.queue.length === this.queueHead) {
      this.blocked = !this.sink.write(message, text);
      return;
    }
    if (this.countedBytes + text.length > this.queueBytesMax) {
      this.drop();
      return;
    }
    this.enqueue({ message, text, counted: true });
  }

  /** A picture (hello, actor records) given regardless of the bound: it is what a reader needs
   * before anything else makes sense. */
  offerPicture(entries: Array<{ message: StreamMessage; text: string }>): void {
    for (const { message, text } of entries) {
      if (this.closed) return;
      if (!this.blocked && this.queue.length === this.queueHead) {
        this.blocked = !this.sink.write(message, text);
      } else {
        this.enqueue({ message, text, counted: false });
      }
    }
  }

  /** The sink can take more: send what waits, then, after a loss, the gap and the picture. */
  drained(): void {
    if (this.closed) return;
    this.blocked = false;
    while (!this.blocked && this.queueHead < this.queue.length) {
      const entry = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as Queued;
      if (entry.counted) this.countedBytes -= entry.text.length;
      else this.pictureBytes -= entry.text.length;
      this.blocked = !this.sink.write(entry.message, entry.text);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= compactAfter && this.queueHead * 2 >= this.queue.length) {
      // A reader that never quite catches up must not leave a growing run of sent slots.
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.blocked || this.dropping === 0) return;
    const dropped = this.dropping;
    this.dropping = 0;
    this.gaps++;
    this.offerPicture(this.source.resynchronization(dropped));
  }

  /** The listener went away (its connection closed): nothing more is queued for it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queueHead = 0;
    this.countedBytes = 0;
    this.pictureBytes = 0;
    this.source.removeListener(this);
  }

  private drop(): void {
    this.dropping++;
    this.droppedTotal++;
  }

  private enqueue(entry: Queued): void {
    this.queue.push(entry);
    if (entry.counted) this.countedBytes += entry.text.length;
    else this.pictureBytes += entry.text.length;
    this.queuedBytesPeak = Math.max(this.queuedBytesPeak, this.queuedBytes);
  }
}
