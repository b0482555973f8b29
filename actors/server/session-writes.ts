// Which sessions have writes ordered and not yet settled (applied, or failed), so that a session
// reattaching on a new connection can wait for the writes it sent on the old one (ZooKeeper's
// per-session FIFO order across connections). Counted per session instead of chaining a promise
// onto every write: the write path pays two additions and a map lookup, and a promise is made
// only for the rare reattach that asks.

interface Waiter {
  /** Settled once this many of the session's writes have settled. */
  upTo: number;
  resolve: () => void;
}

interface Counts {
  begun: number;
  ended: number;
  waiters: Waiter[] | undefined;
}

export class SessionWrites {
  private readonly bySession = new Map<bigint, Counts>();

  /** A write of the session was ordered. */
  begin(sessionId: bigint): void {
    const counts = this.bySession.get(sessionId);
    if (counts === undefined) {
      this.bySession.set(sessionId, { begun: 1, ended: 0, waiters: undefined });
    } else {
      counts.begun++;
    }
  }

  /** One of the session's writes settled. Writes settle in the order they were ordered, so the
   * count tells which have. */
  end(sessionId: bigint): void {
    const counts = this.bySession.get(sessionId);
    if (counts === undefined) return;
    counts.ended++;
    if (counts.waiters !== undefined) {
      const due = counts.waiters.filter((waiter) => waiter.upTo <= counts.ended);
      counts.waiters = counts.waiters.filter((waiter) => waiter.upTo > counts.ended);
      if (counts.waiters.length === 0) counts.waiters = undefined;
      for (const waiter of due) waiter.resolve();
    }
    if (counts.ended >= counts.begun && counts.waiters === undefined) {
      this.bySession.delete(sessionId);
    }
  }

  /** Begins a write settled by `write` (the paths that still hold a promise). */
  track<T>(sessionId: bigint, write: Promise<T>): Promise<T> {
    this.begin(sessionId);
    const end = (): void => this.end(sessionId);
    write.then(end, end);
    return write;
  }

  /** Settles once every write the session has sent so far is settled; undefined when none is
   * pending. */
  settled(sessionId: bigint): Promise<void> | undefined {
    const counts = this.bySession.get(sessionId);
    if (counts === undefined || counts.ended >= counts.begun) return undefined;
    const upTo = counts.begun;
    return new Promise((resolve) => {
      (counts.waiters ??= []).push({ upTo, resolve });
    });
  }
}
