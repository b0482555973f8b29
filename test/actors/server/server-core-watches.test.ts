// ServerCore's watch delivery: a triggered watch reaches its connection only if that connection
// holds READ on the changed node, as ZooKeeper's ServerCnxn.process(event, acl) checks since the
// CVE-2024-23944 fix (3.8.4, and Debian's 3.8.0-11+deb12u2 that the differential test runs).

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  CreateFlag,
  EventType,
  KeeperState,
  Perm,
  WatcherType,
} from '../../../protocol/constants.js';
import type { ACL, Id } from '../../../protocol/records.js';
import type { WriteRequest } from '../../../protocol/requests.js';
import { encodeNotification } from '../../../protocol/responses.js';
import type { ClientConnection } from '../../../actors/server/client-connection.js';
import { resolveConfig } from '../../../actors/config/config.js';
import { ServerCore } from '../../../actors/server/server-core.js';
import { MemoryTxnLog } from '../../../storage/log.js';

const world: ACL[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const alice: Id = { scheme: 'digest', id: 'alice:hash' };
const aliceOnly: ACL[] = [{ perms: Perm.all, id: alice }];
const session = 0x77n;

function core(): ServerCore {
  const quiet = { info: () => {}, warn: () => {} };
  const settings = resolveConfig({ clientPort: 2181, dataDir: '/nonexistent' }, { log: quiet });
  return new ServerCore(settings, pino({ level: 'silent' }), new MemoryTxnLog());
}

/** A connection stand-in recording what the core sends it. */
function connection(server: ServerCore, id: number, ids: Id[]): Buffer[] {
  const sent: Buffer[] = [];
  const record = (frame: Buffer) => sent.push(frame);
  // A herd's notifications are queued on the connection, then flushed: recorded as queued.
  const queueNotification = (frame: Buffer) => record(frame) === 1;
  const fake = { id, auth: { ids, superUser: false }, send: record, notify: record,
    queueNotification, flushNotifications: () => undefined };
  server.connections.set(id, fake as unknown as ClientConnection);
  return sent;
}

function write(server: ServerCore, request: WriteRequest) {
  return server.pipeline.propose(session, 1, {
    type: 'write', request, auth: { ids: [alice], superUser: true },
  });
}

const create = (path: string, acl: ACL[], flags = 0): WriteRequest =>
  ({ kind: 'create', opcode: 1, path, data: Buffer.from('x'), acl, flags, ttl: -1 });

const event = (type: number, path: string) =>
  encodeNotification(-1, { type, state: KeeperState.syncConnected, path });

describe('ServerCore watch delivery', () => {
  it('tells only watchers with READ on the node; others\' one-shots are used up', async () => {
    const server = core();
    await server.pipeline.propose(session, 0, {
      type: 'createSession', sessionId: session, timeoutMs: 30_000, password: Buffer.alloc(16),
    });
    const reader = connection(server, 901, [{ scheme: 'ip', id: '127.0.0.1' }, alice]);
    const stranger = connection(server, 902, [{ scheme: 'ip', id: '127.0.0.1' }]);
    for (const id of [901n, 902n]) {
      server.watches.addDataWatch('/secret', id);
      server.watches.addPersistentWatch('/', id, true);
    }
    await write(server, create('/secret', aliceOnly));
    expect(reader).toEqual([event(EventType.nodeCreated, '/secret')]);
    expect(stranger).toEqual([]);
    // The stranger's exists watch was used up: the node's deletion does not reach it either,
    // while its recursive watch still sees a node it may read.
    await write(server, create('/open', world, CreateFlag.persistent));
    expect(stranger).toEqual([event(EventType.nodeCreated, '/open')]);
    expect(server.watches.has('/secret', 902n, WatcherType.data)).toBe(false);
  });
});
