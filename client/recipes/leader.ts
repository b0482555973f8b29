// Leader election two ways, as Curator offers them: LeaderLatch (join, learn whether you lead,
// keep leading until you leave) and LeaderElection (take turns running a leadership function,
// which is told to stop through its AbortSignal when the session is suspended or lost).

import { createNanoEvents } from 'nanoevents';
import type { Client } from '../client.js';
import { deleteQuietly, joinQueue, waitForTurn, type TurnRule } from './contention.js';
import { Lock } from './lock.js';
import type { Holding } from './lock.js';

interface LatchEvents {
  change: (isLeader: boolean) => void;
}

/**
 * Joins the election under `path`; the oldest participant leads. Leadership is reported lost
 * while the connection is suspended (it may be lost for real) and regained on reconnect if our
 * node is still first; after expiry or close it is gone for good.
 */
export class LeaderLatch {
  private readonly emitter = createNanoEvents<LatchEvents>();
  private node: string | null = null;
  private leading = false;
  private closed = false;
  private waiting = false;
  private readonly stop = new AbortController();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    readonly path: string,
    readonly participantId = '',
  ) {}

  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Called with true when we become leader and false when we stop being it. */
  onChange(listener: (isLeader: boolean) => void): () => void {
    return this.emitter.on('change', listener);
  }

  /** Joins the election; resolves once our node is queued (not when we lead). */
  async start(): Promise<void> {
    this.unsubscribe = this.client.on('state', (state) => {
      if (state === 'suspended') this.setLeading(false);
      if (state === 'connected') void this.run();
      if (state === 'expired' || state === 'closed' || state === 'authFailed') {
        this.closed = true;
        this.setLeading(false);
      }
    });
    const { client, path, stop, participantId } = this;
    this.node = await joinQueue(client, path, 'latch-', stop.signal, participantId);
    void this.run();
  }

  /** Resolves when we lead; rejects on abort. */
  async await(signal?: AbortSignal): Promise<void> {
    if (this.leading) return;
    await new Promise<void>((resolve, reject) => {
      const off = this.onChange((isLeader) => {
        if (!isLeader) return;
        off();
        resolve();
      });
      const onAbort = () => {
        off();
        reject(signal?.reason);
      };
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Leaves the election (deleting our node: the next participant takes over). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort(new Error('leader latch closed'));
    this.unsubscribe?.();
    this.setLeading(false);
    if (this.node !== null) await deleteQuietly(this.client, this.node);
  }

  /** Waits for our turn (again, after a reconnect) unless already waiting or leading. */
  private async run(): Promise<void> {
    if (this.closed || this.waiting || this.leading || this.node === null) return;
    this.waiting = true;
    try {
      const previous: TurnRule = (sorted, index) =>
        index === 0 ? null : (sorted[index - 1] as string);
      await waitForTurn(this.client, this.path, this.node, previous, this.stop.signal);
      if (!this.closed && this.client.state === 'connected') this.setLeading(true);
    } catch {
      // Aborted, or our node is gone with the session: the state listener has reported it.
    } finally {
      this.waiting = false;
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.emitter.emit('change', leading);
  }
}

export interface LeaderElectionOptions {
  /** Runs while we lead; leadership ends when it returns. Stop promptly when `signal` aborts. */
  takeLeadership: (signal: AbortSignal) => Promise<void>;
  /** Queue up again after each term (Curator's autoRequeue). Default true. */
  requeue?: boolean;
}

/** Curator's LeaderSelector: participants take turns leading, one at a time, in order. */
export class LeaderElection {
  private readonly lock: Lock;
  private readonly stop = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly client: Client,
    readonly path: string,
    private readonly options: LeaderElectionOptions,
  ) {
    this.lock = new Lock(client, path);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Leaves the election, aborting a term in progress. */
  async close(): Promise<void> {
    this.stop.abort(new Error('leader election closed'));
    await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      let holding: Holding;
      try {
        holding = await this.lock.acquire({ signal: this.stop.signal });
      } catch {
        return; // closed, or the session is gone
      }
      await this.term(holding);
      if (this.options.requeue === false || this.stop.signal.aborted || holding.lost) return;
    }
  }

  private async term(holding: Holding): Promise<void> {
    const term = new AbortController();
    const endTerm = (reason: string) => term.abort(new Error(reason));
    const offLost = holding.onLost(() => endTerm('session lost'));
    const offState = this.client.on('state', (state) => {
      if (state === 'suspended') endTerm('connection suspended');
    });
    const onClose = () => endTerm('leader election closed');
    this.stop.signal.addEventListener('abort', onClose, { once: true });
    try {
      await this.options.takeLeadership(term.signal);
    } catch {
      // A term that throws ends like one that returns.
    } finally {
      offLost();
      offState();
      this.stop.signal.removeEventListener('abort', onClose);
      await holding.release();
    }
  }
}
