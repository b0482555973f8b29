import { describe, expect, it } from 'vitest';
import { EventType, KeeperState, Perm, WatcherType } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import type { SetWatchesRequest } from '../../protocol/requests.js';
import { checkPermission } from '../../tree/acl.js';
import type { ChangeTrigger } from '../../tree/types.js';
import { WatchManager, shouldRegisterWatch } from '../../tree/watches.js';
import { Harness, alice, createOp, deleteOp, open, setDataOp } from './helpers.js';

const s1 = 1n;
const s2 = 2n;

function fire(watches: WatchManager, ...changes: ChangeTrigger[]): string[] {
  return changes.flatMap((change) =>
    watches
      .trigger(change)
      .map(({ sessionId, event }) => `${sessionId} ${event.type} ${event.path}`),
  );
}

const created = (path: string): ChangeTrigger => ({ path, type: 'created', acl: open });
const deleted = (path: string): ChangeTrigger => ({ path, type: 'deleted', acl: open });
const changed = (path: string): ChangeTrigger => ({ path, type: 'dataChanged', acl: open });
const children = (path: string): ChangeTrigger => ({ path, type: 'childrenChanged', acl: open });

describe('one-shot watches', () => {
  it('fires a data watch once with NodeDataChanged and syncConnected', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    expect(watches.trigger(changed('/a'))).toEqual([
      {
        sessionId: s1,
        event: { type: EventType.nodeDataChanged, state: KeeperState.syncConnected, path: '/a' },
      },
    ]);
    expect(watches.trigger(changed('/a'))).toEqual([]);
  });

  it('fires an exists watch with NodeCreated', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    expect(fire(watches, created('/a'), children('/'))).toEqual([`1 ${EventType.nodeCreated} /a`]);
  });

  it('fires a child watch with NodeChildrenChanged, not for data changes', () => {
    const watches = new WatchManager();
    watches.addChildWatch('/p', s1);
    expect(fire(watches, changed('/p'))).toEqual([]);
    expect(fire(watches, children('/p'), children('/p')))
      .toEqual([`1 ${EventType.nodeChildrenChanged} /p`]);
  });

  it('tells a session once of a delete even with data and child watches on the node', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    watches.addChildWatch('/a', s1);
    watches.addChildWatch('/a', s2);
    expect(fire(watches, deleted('/a')))
      .toEqual([`1 ${EventType.nodeDeleted} /a`, `2 ${EventType.nodeDeleted} /a`]);
    expect(watches.watchCount).toBe(0);
  });

  it('does not fire a watch of another path', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    expect(fire(watches, changed('/ab'), changed('/a/b'), created('/'))).toEqual([]);
  });
});

describe('persistent watches', () => {
  it('fire on every change of their node and stay', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, false);
    const all = [created('/a'), changed('/a'), children('/a'), changed('/a'), deleted('/a')];
    expect(fire(watches, ...all))
      .toEqual([
      `1 ${EventType.nodeCreated} /a`,
      `1 ${EventType.nodeDataChanged} /a`,
      `1 ${EventType.nodeChildrenChanged} /a`,
      `1 ${EventType.nodeDataChanged} /a`,
      `1 ${EventType.nodeDeleted} /a`,
    ]);
  });

  it('do not fire for descendants', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, false);
    expect(fire(watches, created('/a/b'), changed('/a/b'))).toEqual([]);
  });

  it('recursive ones fire for the whole subtree but never with NodeChildrenChanged', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, true);
    expect(
      fire(
        watches,
        created('/a/b/c'),
        children('/a/b'),
        changed('/a/b'),
        deleted('/a/b/c'),
        children('/a'),
        changed('/a'),
      ),
    ).toEqual([
      `1 ${EventType.nodeCreated} /a/b/c`,
      `1 ${EventType.nodeDataChanged} /a/b`,
      `1 ${EventType.nodeDeleted} /a/b/c`,
      `1 ${EventType.nodeDataChanged} /a`,
    ]);
    expect(fire(watches, changed('/ab'), changed('/'))).toEqual([]);
  });

  it('a recursive watch on / sees everything', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/', s1, true);
    expect(fire(watches, created('/x'), changed('/'))).toEqual([
      `1 ${EventType.nodeCreated} /x`,
      `1 ${EventType.nodeDataChanged} /`,
    ]);
  });

  it('a one-shot watch beside a persistent one on the same path is consumed alone', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, false);
    watches.addDataWatch('/a', s1);
    expect(fire(watches, changed('/a'))).toEqual([`1 ${EventType.nodeDataChanged} /a`]);
    expect(fire(watches, changed('/a'))).toEqual([`1 ${EventType.nodeDataChanged} /a`]);
  });

  it('a session with a recursive and a one-shot watch gets one event', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/', s1, true);
    watches.addDataWatch('/a/b', s1);
    expect(fire(watches, changed('/a/b'))).toEqual([`1 ${EventType.nodeDataChanged} /a/b`]);
  });
});

describe('remove and has (removeWatches / checkWatches)', () => {
  it.each([
    [WatcherType.data, true, false],
    [WatcherType.children, false, true],
    [WatcherType.any, true, true],
  ])('watcherType %i covers data table %s, child table %s', (type, data, child) => {
    const onlyData = new WatchManager();
    onlyData.addDataWatch('/a', s1);
    expect(onlyData.has('/a', s1, type)).toBe(data);
    const onlyChild = new WatchManager();
    onlyChild.addChildWatch('/a', s1);
    expect(onlyChild.has('/a', s1, type)).toBe(child);
    expect(onlyChild.remove('/a', s1, type)).toBe(child);
    expect(onlyChild.has('/a', s1, WatcherType.any)).toBe(!child);
  });

  it('sees persistent watches through data and children, and removes one half per table', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, false);
    expect(watches.has('/a', s1, WatcherType.data)).toBe(true);
    expect(watches.has('/a', s1, WatcherType.children)).toBe(true);
    expect(watches.remove('/a', s1, WatcherType.children)).toBe(true);
    expect(fire(watches, children('/a'), changed('/a')))
      .toEqual([`1 ${EventType.nodeDataChanged} /a`]);
    expect(watches.remove('/a', s1, WatcherType.any)).toBe(true);
    expect(watches.remove('/a', s1, WatcherType.any)).toBe(false);
  });

  it('is per session and per exact path', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/a', s1, true);
    expect(watches.has('/a', s2, WatcherType.any)).toBe(false);
    expect(watches.has('/a/b', s1, WatcherType.any)).toBe(false);
    expect(watches.remove('/a', s2, WatcherType.any)).toBe(false);
  });

  it('removeSession drops every watch of the session and nothing else', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    watches.addChildWatch('/a', s1);
    watches.addPersistentWatch('/', s1, true);
    watches.addDataWatch('/a', s2);
    watches.removeSession(s1);
    expect(fire(watches, changed('/a'))).toEqual([`2 ${EventType.nodeDataChanged} /a`]);
    expect(watches.watchCount).toBe(0);
  });

  it('rejects an unknown watcher type', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    expect(watches.has('/a', s1, 9)).toBe(false);
    expect(watches.remove('/a', s1, 9)).toBe(false);
  });
});

// ZooKeeper 3.8.4 (and Debian's 3.8.0-11+deb12u2) checks READ before delivering: CVE-2024-23944.
describe('delivery needs READ on the changed node', () => {
  const aliceOnly: ACL[] = [{ perms: Perm.all, id: { scheme: 'digest', id: 'alice:hash' } }];
  // Session 1 holds alice's digest; session 2 holds nothing.
  const mayRead = (sessionId: bigint, acl: readonly ACL[]) =>
    checkPermission(acl, Perm.read, sessionId === s1 ? alice : { ids: [], superUser: false });

  it('consumes a one-shot watch but tells only sessions with READ on the ACL', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    watches.addDataWatch('/a', s2);
    const event = { type: EventType.nodeCreated, state: KeeperState.syncConnected, path: '/a' };
    expect(watches.trigger({ path: '/a', type: 'created', acl: aliceOnly }, mayRead))
      .toEqual([{ sessionId: s1, event }]);
    // Session 2's exists watch is gone all the same: a later change does not reach it.
    expect(watches.trigger({ path: '/a', type: 'deleted', acl: open }, mayRead)).toEqual([]);
    expect(watches.watchCount).toBe(0);
  });

  it('filters persistent and recursive watches by the changed node\'s ACL, and keeps them', () => {
    const watches = new WatchManager();
    watches.addPersistentWatch('/p', s2, false);
    watches.addPersistentWatch('/', s2, true);
    const hidden = (type: ChangeTrigger['type'], path: string): ChangeTrigger =>
      ({ path, type, acl: aliceOnly });
    expect(watches.trigger(hidden('childrenChanged', '/p'), mayRead)).toEqual([]);
    expect(watches.trigger(hidden('created', '/p/x'), mayRead)).toEqual([]);
    expect(fire(watches, children('/p'), created('/p/y')))
      .toEqual([`2 ${EventType.nodeChildrenChanged} /p`, `2 ${EventType.nodeCreated} /p/y`]);
  });

  it('checks no ACL when no predicate is given, and an empty ACL lets everyone read', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s2);
    expect(watches.trigger({ path: '/a', type: 'dataChanged', acl: [] }, mayRead)).toHaveLength(1);
    watches.addDataWatch('/a', s2);
    expect(watches.trigger({ path: '/a', type: 'dataChanged', acl: aliceOnly })).toHaveLength(1);
  });
});

describe('reports', () => {
  it('lists the data table by path and by session, and counts both tables', () => {
    const watches = new WatchManager();
    watches.addDataWatch('/a', s1);
    watches.addDataWatch('/a', s2);
    watches.addDataWatch('/b', s1);
    watches.addChildWatch('/c', s1);
    expect(watches.dataWatchedPaths()).toEqual([
      { path: '/a', sessionIds: [s1, s2] },
      { path: '/b', sessionIds: [s1] },
    ]);
    expect(watches.dataWatchesBySession()).toEqual(new Map([[s1, ['/a', '/b']], [s2, ['/a']]]));
    expect(watches.watchCount).toBe(4);
  });
});

describe('shouldRegisterWatch', () => {
  it.each([
    ['exists', ErrorCode.ok, true],
    ['exists', ErrorCode.noNode, true],
    ['exists', ErrorCode.badArguments, false],
    ['getData', ErrorCode.noNode, false],
    ['getData', ErrorCode.noAuth, false],
    ['getChildren', ErrorCode.ok, true],
  ] as const)('%s with err %i registers: %s', (kind, err, registers) => {
    expect(shouldRegisterWatch(kind, err)).toBe(registers);
  });
});

describe('setWatches after a reconnect', () => {
  function request(fields: Partial<SetWatchesRequest>): SetWatchesRequest {
    return {
      kind: 'setWatches', opcode: 105, relativeZxid: 0, dataWatches: [], existWatches: [],
      childWatches: [], persistentWatches: [], persistentRecursiveWatches: [], ...fields,
    };
  }

  it('answers missed events and re-registers the rest', () => {
    const harness = new Harness();
    harness.write(createOp('/same'));
    harness.write(createOp('/parent'));
    const seen = harness.zxid;
    harness.write(createOp('/changed'));
    harness.write(setDataOp('/changed', 'x'));
    harness.write(createOp('/parent/kid'));
    harness.write(createOp('/born'));
    harness.write(createOp('/gone'));
    harness.write(deleteOp('/gone'));
    const watches = new WatchManager();
    const events = watches.setWatches(harness.tree, s1, request({
      relativeZxid: seen,
      dataWatches: ['/same', '/changed', '/gone'],
      existWatches: ['/born', '/unborn'],
      childWatches: ['/parent', '/same', '/gone'],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: ['/r'],
    }));
    expect(events.map((event) => `${event.type} ${event.path}`)).toEqual([
      `${EventType.nodeDataChanged} /changed`,
      `${EventType.nodeDeleted} /gone`,
      `${EventType.nodeCreated} /born`,
      `${EventType.nodeChildrenChanged} /parent`,
      `${EventType.nodeDeleted} /gone`,
    ]);
    expect(events.every((event) => event.state === KeeperState.syncConnected)).toBe(true);
    expect(watches.has('/same', s1, WatcherType.data)).toBe(true);
    expect(watches.has('/same', s1, WatcherType.children)).toBe(true);
    expect(watches.has('/unborn', s1, WatcherType.data)).toBe(true);
    expect(watches.has('/changed', s1, WatcherType.any)).toBe(false);
    expect(watches.has('/p', s1, WatcherType.children)).toBe(true);
    expect(fire(watches, created('/r/x'))).toEqual([`1 ${EventType.nodeCreated} /r/x`]);
  });
});
