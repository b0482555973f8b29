// node-zookeeper-client cases on watches and sessions. In an ensemble each second session lives
// on another replica than the main client's follower: watches must fire on the replica that set
// them, ephemerals must appear and vanish everywhere, and the leader decides a session's end.

import type { Client, Event, Stat } from 'node-zookeeper-client';
import { describe, expect, it } from 'vitest';
import { startRelay } from './proxy.js';
import {
  call, callAll, closeClient, connectClient, errorCode, eventually, recordingWatcher, waitFor,
  within, zookeeper,
} from './nzc.js';
import type { NzcSuite } from './nzc-suite.js';

const { CreateMode, Event: EventType, State } = zookeeper;
const watchMs = 5000;
/** Short, to keep the expiry case quick; tickTime 200 allows 400..4000 ms. */
const shortSessionMs = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function describeWatches(suite: NzcSuite): void {
  const { create, exists, getData, setData } = suite;
  describe(`node-zookeeper-client watches (${suite.label})`, () => {
    it('data watch fires NODE_DATA_CHANGED once for two setData calls', async () => {
      await create('/nzc-watch-data', Buffer.from('0'));
      const recorder = recordingWatcher();
      await getData('/nzc-watch-data', recorder.watcher);
      await setData('/nzc-watch-data', '1');
      // Same session: the notification precedes the reply, so the second setData settles it.
      await setData('/nzc-watch-data', '2');
      expect(recorder.events.map((event) => [event.getType(), event.getPath()]))
        .toEqual([[EventType.NODE_DATA_CHANGED, '/nzc-watch-data']]);
    });

    it('child watch fires NODE_CHILDREN_CHANGED on the parent for a create', async () => {
      await create('/nzc-watch-children');
      const recorder = recordingWatcher();
      await callAll((callback) =>
        suite.client.getChildren('/nzc-watch-children', recorder.watcher, callback));
      await create('/nzc-watch-children/kid');
      const event = await within(recorder.first, watchMs);
      expect([event.getType(), event.getPath()])
        .toEqual([EventType.NODE_CHILDREN_CHANGED, '/nzc-watch-children']);
    });

    it('exists watch on a missing node fires NODE_CREATED for a create by another session',
      async () => {
        const recorder = recordingWatcher();
        expect(await exists('/nzc-watch-created', recorder.watcher)).toBeNull();
        const other = await suite.connectSecond();
        try {
          await call((callback) => other.create('/nzc-watch-created', callback));
        } finally {
          await closeClient(other);
        }
        const event = await within(recorder.first, watchMs);
        expect([event.getType(), event.getPath()])
          .toEqual([EventType.NODE_CREATED, '/nzc-watch-created']);
      });

    it('exists and getData watches both fire NODE_DELETED for a remove', async () => {
      await create('/nzc-watch-deleted');
      const viaExists = recordingWatcher();
      const viaData = recordingWatcher();
      await exists('/nzc-watch-deleted', viaExists.watcher);
      await getData('/nzc-watch-deleted', viaData.watcher);
      await call((callback) => suite.client.remove('/nzc-watch-deleted', -1, callback));
      for (const recorder of [viaExists, viaData]) {
        const event = await within(recorder.first, watchMs);
        expect([event.getType(), event.getPath()])
          .toEqual([EventType.NODE_DELETED, '/nzc-watch-deleted']);
      }
    });
  });
}

export function describeSessions(suite: NzcSuite): void {
  const { exists } = suite;
  describe(`node-zookeeper-client sessions (${suite.label})`, () => {
    it('ephemerals vanish when their session closes, seen by a watch of a second client',
      async () => {
        const owner = await suite.connectSecond();
        await call((callback) => owner.create('/nzc-vanish', CreateMode.EPHEMERAL, callback));
        // Wait for the create to reach this replica before watching, or the watch would be a
        // creation watch.
        await eventually(() => exists('/nzc-vanish'), (stat) => stat !== null);
        const recorder = recordingWatcher();
        expect(await exists('/nzc-vanish', recorder.watcher)).not.toBeNull();
        await closeClient(owner);
        const event = await within(recorder.first, watchMs);
        expect([event.getType(), event.getPath()])
          .toEqual([EventType.NODE_DELETED, '/nzc-vanish']);
        expect(await exists('/nzc-vanish')).toBeNull();
      });

    it('a second client given session id and password shares the session; close expires both',
      async () => {
        // The first client talks through a relay, so cutting it leaves the session open; the
        // second one resumes the session on another server.
        const relay = await startRelay(suite.target.port);
        const first = await connectClient(`127.0.0.1:${relay.port}`);
        await call((callback) => first.create('/nzc-shared-1', CreateMode.EPHEMERAL, callback));
        const sessionId = first.getSessionId();
        await relay.cut();
        const second = await suite.connectSecond({
          sessionId, sessionPassword: first.getSessionPassword(),
        });
        expect(second.getSessionId()).toEqual(sessionId);
        await call((callback) => second.create('/nzc-shared-2', CreateMode.EPHEMERAL, callback));
        for (const path of ['/nzc-shared-1', '/nzc-shared-2']) {
          const stat = await eventually(() => exists(path), (found) => found !== null);
          expect(stat?.ephemeralOwner).toEqual(sessionId);
        }
        await closeClient(second);
        expect(await eventually(() => exists('/nzc-shared-1'), (stat) => stat === null))
          .toBeNull();
        // The first client reconnects with the closed session and is told it expired.
        const expired = waitFor(first, 'expired', watchMs);
        await relay.resume();
        await expired;
        expect(first.getState()).toBe(State.EXPIRED);
        first.close();
        await relay.cut();
      });
  });
}

export function describeSessionIds(suite: NzcSuite): void {
  describe(`node-zookeeper-client session ids and timeouts (${suite.label})`, () => {
    it('reconnecting with a closed session id reports EXPIRED; requests fail SESSION_EXPIRED',
      async () => {
        // Closed through the second server, revived through the main client's one.
        const original = await suite.connectSecond();
        const credentials = {
          sessionId: original.getSessionId(),
          sessionPassword: original.getSessionPassword(),
        };
        await closeClient(original);
        const revived = zookeeper.createClient(suite.target.connectString,
          { sessionTimeout: 2000, ...credentials });
        const states: string[] = [];
        revived.on('state', (state: { name: string }) => states.push(state.name));
        const expired = waitFor(revived, 'expired', watchMs);
        revived.connect();
        await expired;
        expect(revived.getState()).toBe(State.EXPIRED);
        expect(states).toContain('EXPIRED');
        expect(states).not.toContain('SYNC_CONNECTED');
        expect(await errorCode((callback) => revived.exists('/', undefined, callback)))
          .toBe(-112);
        revived.close();
      });

    const [low, high] = [2 * suite.tickTimeMs, 20 * suite.tickTimeMs];
    it(`negotiates the requested 2000 ms session timeout (tickTime ${suite.tickTimeMs}: ` +
      `${low}..${high} ms)`, () => {
      expect(suite.client.getSessionTimeout()).toBe(2000);
      expect(suite.client.getSessionId().length).toBe(8);
      expect(suite.client.getSessionPassword().length).toBe(16);
    });
  });
}

/** Ensemble only: the session resumes on another replica than the one it was created on. */
export function describeSessionMove(suite: NzcSuite): void {
  describe(`node-zookeeper-client session moving between servers (${suite.label})`, () => {
    it('a client on a follower, cut off while its watched node changes, reconnecting to the ' +
      'leader, gets the missed NODE_DATA_CHANGED (setWatches from its last zxid)', async () => {
      const path = '/nzc-moved';
      const relay = await startRelay(suite.target.port);
      const mover = await connectClient(`127.0.0.1:${relay.port}`);
      try {
        await call((callback) => mover.create(path, Buffer.from('0'), callback));
        const recorder = recordingWatcher();
        await callAll((callback) => mover.getData(path, recorder.watcher, callback));
        await relay.cut();
        await suite.setData(path, '1');
        relay.retarget(suite.target.second.port);
        await relay.resume();
        const event = await within(recorder.first, watchMs);
        expect([event.getType(), event.getPath()]).toEqual([EventType.NODE_DATA_CHANGED, path]);
        const [data] = await callAll<[Buffer, Stat]>((callback) =>
          mover.getData(path, undefined, callback));
        expect(data.toString()).toBe('1');
      } finally {
        await closeClient(mover);
        await relay.cut();
      }
    });
  });
}

/** Connects through `relayPort` with a short session and creates an ephemeral node. */
async function shortSession(relayPort: number, path: string): Promise<Client> {
  const client = await connectClient(`127.0.0.1:${relayPort}`, { sessionTimeout: shortSessionMs });
  await call((callback) => client.create(path, CreateMode.EPHEMERAL, callback));
  return client;
}

/** Ensemble only: the leader expires sessions, so it must hear of pings sent to followers. */
export function describeSessionExpiry(suite: NzcSuite): void {
  describe(`node-zookeeper-client session expiry (${suite.label})`, () => {
    it(`a ${shortSessionMs} ms session pinging a follower lives, expires once cut off: its ` +
      'ephemeral vanishes for a watcher on the leader and the client is told EXPIRED', async () => {
      const path = '/nzc-expiry';
      const relay = await startRelay(suite.target.port);
      const idle = await shortSession(relay.port, path);
      const watcher = await suite.connectSecond();
      const existsOn = (client: Client, watch?: (event: Event) => void) =>
        call<Stat | null>((callback) => client.exists(path, watch, callback));
      try {
        expect(idle.getSessionTimeout()).toBe(shortSessionMs);
        // Idle for two timeouts: only its pings (to a follower, in an ensemble) keep the
        // session alive, so the server deciding expiry must hear of them.
        await sleep(2 * shortSessionMs);
        expect(await eventually(() => existsOn(watcher), (stat) => stat !== null))
          .not.toBeNull();
        const recorder = recordingWatcher();
        expect(await existsOn(watcher, recorder.watcher)).not.toBeNull();
        await relay.cut();
        const event = await within(recorder.first, 5 * shortSessionMs);
        expect([event.getType(), event.getPath()]).toEqual([EventType.NODE_DELETED, path]);
        const expired = waitFor(idle, 'expired', watchMs);
        await relay.resume();
        await expired;
        expect(idle.getState()).toBe(State.EXPIRED);
      } finally {
        idle.close();
        await relay.cut();
        await closeClient(watcher);
      }
    });
  });
}
