// SessionMoved, as ZooKeeper's leader raises it: once a session reattaches through another
// replica, a write still sent on its old connection is ordered as an error txn (it changes
// nothing) and the old connection is closed without an answer (ZooKeeper's ZOOKEEPER-710 fix),
// while the new connection writes on. From a follower to a follower and from the leader to a
// follower, on corral and on a ZooKeeper 3.8 ensemble alike. Real processes.

import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';

interface Servers {
  clientPort(id: number): number;
  waitForLeader(): Promise<number>;
  followers(): Promise<number[]>;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function create(path: string): ClientRequest {
  return { kind: 'create', opcode: OpCode.create, path, data: Buffer.from('x'), acl: openAcl,
    flags: 0, ttl: -1 };
}

type Session = { sessionId: bigint; password: Buffer; lastZxidSeen?: number };

/**
 * A connect as a real client makes it: with the last zxid it saw, which a replica that has not
 * seen it yet refuses (by closing), so the client tries again, as ZooKeeper's clients do.
 */
async function connect(port: number, session?: Session) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = await RawClient.open(port);
    const response = await client.handshake(session ?? {});
    if (response !== 'closed' && response.timeout !== 0) {
      return { client, session: { sessionId: response.sessionId, password: response.password } };
    }
    client.destroy();
    if (response !== 'closed' || Date.now() > deadline) {
      throw new Error(`no session on ${port}: ${response === 'closed' ? 'closed' : 'expired'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Moves a session from `fromPort` to `toPort`; error codes of the writes on each connection. */
async function moveAndWrite(fromPort: number, toPort: number, prefix: string) {
  const old = await connect(fromPort);
  // The zxid the client has seen: its session's creation (a read's reply header carries it).
  const seen = await old.client.call(9, {
    kind: 'exists', path: '/', watch: false,
  } as ClientRequest);
  const moved = await connect(toPort, { ...old.session, lastZxidSeen: seen.header.zxid });
  try {
    old.client.send(1, create(`${prefix}-stale`));
    const stale = await old.client.replyTo(1, 10_000).then(
      (answer) => answer.header.err, (error: unknown) => String(error));
    // A client's xids go on counting across a reconnect (the Java client's do).
    const fresh = await moved.client.call(2, create(`${prefix}-fresh`), 10_000);
    const check = await moved.client.call(3, {
      kind: 'exists', path: `${prefix}-stale`, watch: false,
    } as ClientRequest, 10_000);
    return { stale, fresh: fresh.header.err, staleExists: check.header.err };
  } finally {
    old.client.destroy();
    moved.client.destroy();
  }
}

async function scenario(servers: Servers) {
  const leader = await servers.waitForLeader();
  const [first, second] = await servers.followers();
  return {
    followerToFollower: await moveAndWrite(
      servers.clientPort(first!), servers.clientPort(second!), '/ff'),
    leaderToFollower: await moveAndWrite(
      servers.clientPort(leader), servers.clientPort(first!), '/lf'),
  };
}

// The old connection closes unanswered, the new one writes; the stale node never exists.
const moved = { stale: 'Error: no reply to xid 1 (closed: true)', fresh: 0, staleExists: -101 };
const expected = { followerToFollower: moved, leaderToFollower: moved };

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

describe('SessionMoved (real processes, R=3)', { timeout: 90_000 }, () => {
  it('closes a session\'s old connection on its next write', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    expect(await scenario(ensemble)).toEqual(expected);
    await ensemble.waitForSameZxid();
  });

  it.skipIf(!zookeeperAvailable())('as a ZooKeeper 3.8 ensemble does', async () => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3 });
    try {
      zookeeper.startAll();
      expect(await scenario(zookeeper)).toEqual(expected);
    } finally {
      await zookeeper.destroy();
    }
  });
});
