// Local caches kept current by watches (Curator's NodeCache and TreeCache): a NodeCache mirrors
// one node, a TreeCache a whole subtree through one persistent recursive watch. Both reload after
// a reconnect, since events that happened while suspended may not all be replayed.

import { createNanoEvents } from 'nanoevents';
import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { DataResult } from '../types.js';
import type { WatchEvent } from '../watches.js';
import { isCode } from './support.js';

/** Refresh attempts when a node flickers between reads (created, then deleted, …). */
const refreshAttemptsMax = 100;
/** A TreeCache refuses subtrees larger than this: a limit on memory and on reload time. */
export const treeCacheNodesMax = 100_000;

export class NodeCache {
  /** The node's data and stat, or null while it does not exist. */
  current: DataResult | null = null;
  private readonly emitter = createNanoEvents<{ change: (current: DataResult | null) => void }>();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly onEvent = (): void => void this.refresh().catch(() => undefined);

  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {}

  onChange(listener: (current: DataResult | null) => void): () => void {
    return this.emitter.on('change', listener);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.client.on('state', (state) => {
      if (state === 'connected') this.onEvent();
    });
    await this.refresh();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  private async refresh(): Promise<void> {
    for (let attempt = 0; attempt < refreshAttemptsMax && !this.closed; attempt++) {
      try {
        return this.update(await this.client.getData(this.path, { watch: this.onEvent }));
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
      }
      // Gone: wait for its creation instead (unless it was created in between).
      if ((await this.client.exists(this.path, { watch: this.onEvent })) === null) {
        return this.update(null);
      }
    }
  }

  private update(next: DataResult | null): void {
    const before = this.current;
    this.current = next;
    const same = before?.stat.mzxid === next?.stat.mzxid && (before === null) === (next === null);
    if (!same) this.emitter.emit('change', next);
  }
}

export interface TreeCacheEvent {
  type: 'added' | 'updated' | 'removed';
  path: string;
}

export class TreeCache {
  private nodes = new Map<string, DataResult>();
  private readonly emitter = createNanoEvents<{ change: (event: TreeCacheEvent) => void }>();
  private unsubscribe: (() => void) | undefined;
  private wasSuspended = false;
  private readonly onEvent = (event: WatchEvent): void => {
    if (event.type === 'nodeDeleted') this.removeSubtree(event.path);
    else if (event.type === 'nodeCreated' || event.type === 'nodeDataChanged') {
      void this.refreshNode(event.path).catch(() => undefined);
    }
  };

  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {}

  onChange(listener: (event: TreeCacheEvent) => void): () => void {
    return this.emitter.on('change', listener);
  }

  /** Registers the recursive watch, then loads the subtree. */
  async start(): Promise<void> {
    this.unsubscribe = this.client.on('state', (state) => {
      if (state === 'suspended') this.wasSuspended = true;
      if (state === 'connected' && this.wasSuspended) {
        this.wasSuspended = false;
        void this.reload().catch(() => undefined);
      }
    });
    await this.client.addWatch(this.path, this.onEvent, { recursive: true });
    await this.reload();
  }

  get(path: string): DataResult | undefined {
    return this.nodes.get(path);
  }

  /** Names of the cached children of `path`, sorted. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()]
      .filter((key) => key.startsWith(prefix) && key !== path)
      .filter((key) => !key.slice(prefix.length).includes('/'))
      .map((key) => key.slice(prefix.length))
      .sort();
  }

  get size(): number {
    return this.nodes.size;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.client.removeWatches(this.path, 'any', this.onEvent).catch(() => undefined);
  }

  private async reload(): Promise<void> {
    const loaded = new Map<string, DataResult>();
    const pending = [this.path];
    while (pending.length > 0) {
      if (loaded.size >= treeCacheNodesMax) throw new Error(`more than ${treeCacheNodesMax} nodes`);
      const path = pending.pop() as string;
      try {
        loaded.set(path, await this.client.getData(path));
        const children = await this.client.getChildren(path);
        pending.push(...children.map((child) => joinPath(path, child)));
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
      }
    }
    const before = this.nodes;
    this.nodes = loaded;
    for (const [path, node] of loaded) {
      const old = before.get(path);
      if (old === undefined) this.emitter.emit('change', { type: 'added', path });
      else if (old.stat.mzxid !== node.stat.mzxid) {
        this.emitter.emit('change', { type: 'updated', path });
      }
    }
    for (const path of before.keys()) {
      if (!loaded.has(path)) this.emitter.emit('change', { type: 'removed', path });
    }
  }

  private async refreshNode(path: string): Promise<void> {
    try {
      const node = await this.client.getData(path);
      const existed = this.nodes.has(path);
      this.nodes.set(path, node);
      this.emitter.emit('change', { type: existed ? 'updated' : 'added', path });
    } catch (error) {
      if (!isCode(error, ErrorCode.noNode)) throw error;
      this.removeSubtree(path);
    }
  }

  private removeSubtree(path: string): void {
    for (const key of [...this.nodes.keys()]) {
      if (key !== path && !key.startsWith(`${path}/`)) continue;
      this.nodes.delete(key);
      this.emitter.emit('change', { type: 'removed', path: key });
    }
  }
}
