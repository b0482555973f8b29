// Watches on the client side of the wire: dispatching server notifications to listeners,
// persistent watches (addWatch), removeWatches, and watches as async iterators that end when the
// consumer stops or the session can never come back.

import { AddWatchMode, WatcherType } from '../protocol/constants.js';
import { ErrorCode, NoWatcherError, type ZooKeeperError } from '../protocol/errors.js';
import type { ClientRequest } from '../protocol/requests.js';
import type { ResponseBody } from '../protocol/responses.js';
import { prependChroot, stripChroot, validatePath } from './connect-string.js';
import { isTerminal, type ConnectionHost } from './connection.js';
import type { RequestOptions } from './types.js';
import {
  WatchEventQueue,
  WatchRegistry,
  watchEventTypeOf,
  type RegisteredWatches,
  type WatchEvent,
  type WatchEventType,
  type WatchKind,
  type WatchListener,
} from './watches.js';
import type { Reply } from './wire.js';

type Call = (
  request: ClientRequest,
  path: string | undefined,
  options: RequestOptions,
  onReply?: (reply: Reply) => void,
) => Promise<ResponseBody>;

const allKinds: WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];

const removalEvent: Record<WatchKind, WatchEventType> = {
  data: 'dataWatchRemoved',
  exist: 'dataWatchRemoved',
  child: 'childWatchRemoved',
  persistent: 'persistentWatchRemoved',
  persistentRecursive: 'persistentWatchRemoved',
};

export class WatchClient {
  readonly registry = new WatchRegistry();
  private readonly iterators = new Set<WatchEventQueue>();
  /** Listener exceptions, kept from breaking dispatch; the last few are kept for inspection. */
  readonly listenerErrors: unknown[] = [];

  constructor(
    private readonly host: ConnectionHost,
    private readonly chroot: string,
    private readonly call: Call,
  ) {
    host.onNotification((event, zxid) => this.dispatch(event.type, event.path, zxid));
    host.onState((state) => {
      if (!isTerminal(state)) return;
      const error = state === 'closed' ? undefined : host.terminalError();
      for (const iterator of [...this.iterators]) iterator.end(error);
      this.registry.clear();
    });
  }

  /** Server paths of every registered watch, for setWatches2 after a reconnect. */
  serverPaths(): RegisteredWatches {
    const registered = this.registry.registered();
    const toServer = (paths: string[]) => paths.map((path) => prependChroot(this.chroot, path));
    return {
      dataWatches: toServer(registered.dataWatches),
      existWatches: toServer(registered.existWatches),
      childWatches: toServer(registered.childWatches),
      persistentWatches: toServer(registered.persistentWatches),
      persistentRecursiveWatches: toServer(registered.persistentRecursiveWatches),
    };
  }

  async addWatch(
    path: string,
    listener: WatchListener,
    options: { recursive?: boolean } & RequestOptions = {},
  ): Promise<void> {
    validatePath(path);
    const recursive = options.recursive === true;
    const mode = recursive ? AddWatchMode.persistentRecursive : AddWatchMode.persistent;
    const request = { kind: 'addWatch', path: prependChroot(this.chroot, path), mode } as const;
    await this.call(request, path, options, (reply) => {
      if (reply.header.err !== 0) return;
      this.registry.add(recursive ? 'persistentRecursive' : 'persistent', path, listener);
    });
  }

  async removeWatches(
    path: string,
    type: 'children' | 'data' | 'any',
    listener: WatchListener | undefined,
    options: RequestOptions,
  ): Promise<void> {
    validatePath(path);
    const kinds: WatchKind[] =
      type === 'children' ? ['child'] : type === 'data' ? ['data', 'exist'] : allKinds;
    const removed = kinds.flatMap((kind) =>
      this.registry.remove([kind], path, listener).map((each) => ({ kind, listener: each })),
    );
    if (removed.length === 0) throw new NoWatcherError(undefined, path);
    const serverType = this.serverRemovalType(type, path);
    if (serverType !== undefined && this.host.isConnected) {
      const request = {
        kind: 'removeWatches',
        path: prependChroot(this.chroot, path),
        watcherType: serverType,
      } as const;
      await this.call(request, path, options).catch((error: ZooKeeperError) => {
        if (error.code !== ErrorCode.noWatcher) throw error;
      });
    }
    for (const entry of removed) {
      this.deliver(entry.listener, { type: removalEvent[entry.kind], path, zxid: -1 });
    }
  }

  iterate(
    path: string,
    options: { recursive?: boolean; signal?: AbortSignal },
  ): AsyncIterableIterator<WatchEvent> {
    if (isTerminal(this.host.state)) {
      return new WatchEventQueue(Promise.reject(this.host.terminalError()), () => undefined);
    }
    let queue: WatchEventQueue | null = null;
    const listener: WatchListener = (event) => queue?.push(event);
    const ready = this.addWatch(path, listener, { recursive: options.recursive === true });
    const onAbort = (): void => queue?.end(options.signal?.reason);
    queue = new WatchEventQueue(ready, () => {
      this.iterators.delete(queue as WatchEventQueue);
      options.signal?.removeEventListener('abort', onAbort);
      // After the reply, so a consumer that stops early does not leave the watch registered.
      ready
        .then(() => {
          if (!isTerminal(this.host.state)) return this.removeWatches(path, 'any', listener, {});
          return undefined;
        })
        .catch(() => undefined);
    });
    this.iterators.add(queue);
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    return queue;
  }

  private serverRemovalType(type: 'children' | 'data' | 'any', path: string): number | undefined {
    const has = (kind: WatchKind) => this.registry.has(kind, path);
    // The server's tables hold persistent watches too: keep them while any remain here.
    const persistent = has('persistent') || has('persistentRecursive');
    if (type === 'children') return has('child') || persistent ? undefined : WatcherType.children;
    if (type === 'data') {
      return has('data') || has('exist') || persistent ? undefined : WatcherType.data;
    }
    return allKinds.some(has) ? undefined : WatcherType.any;
  }

  private dispatch(typeCode: number, serverPath: string, zxid: number): void {
    const type = watchEventTypeOf(typeCode);
    if (type === undefined) return;
    const path = stripChroot(this.chroot, serverPath);
    for (const listener of this.registry.materialize(type, path)) {
      this.deliver(listener, { type, path, zxid });
    }
  }

  private deliver(listener: WatchListener, event: WatchEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.listenerErrors.push(error);
      if (this.listenerErrors.length > 16) this.listenerErrors.shift();
    }
  }
}
