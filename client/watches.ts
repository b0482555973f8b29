// The client's side of watches, as ZooKeeper's ZKWatchManager keeps it: listeners per path and
// kind, which listeners a server notification triggers (one-shot ones are consumed), and what to
// re-register with setWatches2 after a reconnect. Paths here are client paths (chroot removed).

import { EventType } from '../protocol/constants.js';

export type WatchEventType = Exclude<keyof typeof EventType, 'none'>;

export interface WatchEvent {
  type: WatchEventType;
  /** The client path of the node the event is about (chroot removed). */
  path: string;
  /** The zxid of the notification (-1 for locally generated removal events). */
  zxid: number;
}

export type WatchListener = (event: WatchEvent) => void;

/** One-shot kinds (data: getData/exists on an existing node; exist: exists on a missing one). */
export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';

export interface RegisteredWatches {
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}

const eventTypeNames = new Map<number, WatchEventType>(
  Object.entries(EventType)
    .filter(([name]) => name !== 'none')
    .map(([name, value]) => [value, name as WatchEventType]),
);

export function watchEventTypeOf(code: number): WatchEventType | undefined {
  return eventTypeNames.get(code);
}

export class WatchRegistry {
  private readonly tables: Record<WatchKind, Map<string, Set<WatchListener>>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };

  add(kind: WatchKind, path: string, listener: WatchListener): void {
    const table = this.tables[kind];
    let listeners = table.get(path);
    if (listeners === undefined) table.set(path, (listeners = new Set()));
    listeners.add(listener);
  }

  /** Removes one listener (or all when undefined) of these kinds; returns those removed. */
  remove(kinds: WatchKind[], path: string, listener?: WatchListener): WatchListener[] {
    const removed: WatchListener[] = [];
    for (const kind of kinds) {
      const listeners = this.tables[kind].get(path);
      if (listeners === undefined) continue;
      for (const candidate of [...listeners]) {
        if (listener !== undefined && candidate !== listener) continue;
        listeners.delete(candidate);
        removed.push(candidate);
      }
      if (listeners.size === 0) this.tables[kind].delete(path);
    }
    return removed;
  }

  has(kind: WatchKind, path: string): boolean {
    return this.tables[kind].has(path);
  }

  /** The listeners a notification triggers, one-shot ones removed (ZKWatchManager.materialize). */
  materialize(type: WatchEventType, path: string): Set<WatchListener> {
    const result = new Set<WatchListener>();
    const take = (kind: WatchKind): void => {
      const listeners = this.tables[kind].get(path);
      if (listeners === undefined) return;
      for (const listener of listeners) result.add(listener);
      this.tables[kind].delete(path);
    };
    if (type === 'nodeCreated' || type === 'nodeDataChanged') {
      take('data');
      take('exist');
    } else if (type === 'nodeChildrenChanged') {
      take('child');
    } else if (type === 'nodeDeleted') {
      take('data');
      take('exist');
      take('child');
    }
    for (const listener of this.tables.persistent.get(path) ?? []) result.add(listener);
    // Recursive watches never see child-list changes (the server does not send them).
    if (type !== 'nodeChildrenChanged') {
      for (let ancestor: string | null = path; ancestor !== null; ancestor = parentPath(ancestor)) {
        for (const listener of this.tables.persistentRecursive.get(ancestor) ?? []) {
          result.add(listener);
        }
      }
    }
    return result;
  }

  /** Everything to re-register after a reconnect (client paths). */
  registered(): RegisteredWatches {
    const keys = (kind: WatchKind) => [...this.tables[kind].keys()];
    return {
      dataWatches: keys('data'),
      existWatches: keys('exist'),
      childWatches: keys('child'),
      persistentWatches: keys('persistent'),
      persistentRecursiveWatches: keys('persistentRecursive'),
    };
  }

  clear(): void {
    for (const table of Object.values(this.tables)) table.clear();
  }
}

function parentPath(path: string): string | null {
  if (path === '/') return null;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** Events buffered for an async iterator before it ends with an error: a limit on memory. */
export const watchEventsQueuedMax = 10_000;

/**
 * A push-to-pull adapter: the listener pushes events, `for await` pulls them. Ends when `end` is
 * called (with an error to throw, or none to finish) or when the consumer breaks out.
 */
export class WatchEventQueue implements AsyncIterableIterator<WatchEvent> {
  private readonly events: WatchEvent[] = [];
  private waiting: ((result: IteratorResult<WatchEvent>) => void) | null = null;
  private failWaiting: ((error: unknown) => void) | null = null;
  private ended = false;
  private endError: unknown = undefined;

  constructor(
    private readonly ready: Promise<void>,
    private readonly onReturn: () => void,
  ) {
    ready.catch((error: unknown) => this.end(error));
  }

  readonly push = (event: WatchEvent): void => {
    if (this.ended) return;
    if (this.waiting !== null) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: event, done: false });
      return;
    }
    this.events.push(event);
    if (this.events.length > watchEventsQueuedMax) {
      this.end(new Error(`watch iterator fell ${watchEventsQueuedMax} events behind`));
    }
  };

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    this.onReturn();
    if (this.waiting !== null) {
      const [resolve, reject] = [this.waiting, this.failWaiting];
      this.waiting = this.failWaiting = null;
      if (error === undefined || this.events.length > 0) resolve({ value: undefined, done: true });
      else reject?.(error);
    }
  }

  async next(): Promise<IteratorResult<WatchEvent>> {
    await this.ready.catch(() => undefined);
    const event = this.events.shift();
    if (event !== undefined) return { value: event, done: false };
    if (this.ended) {
      if (this.endError !== undefined) {
        const error = this.endError;
        this.endError = undefined;
        throw error;
      }
      return { value: undefined, done: true };
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  async return(): Promise<IteratorResult<WatchEvent>> {
    this.end();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
