// Sessions across replicas, with real processes and real clients: a client whose replica dies
// moves to another with its session and ephemerals intact; a session whose client vanishes is
// expired by the leader and its ephemerals disappear on every replica; an observer serves.

import type { Client } from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import { call, closeClient, connectClient, errorCode, waitFor } from '../interop/nzc.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { until } from '../support/ensemble-requests.js';
import { fourLetterWord } from '../support/four-letter.js';

let ensemble: TestEnsemble | undefined;
const clients: Client[] = [];
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

afterEach(async () => {
  for (const client of clients.splice(0)) await closeClient(client).catch(() => undefined);
  await ensemble?.destroy();
  ensemble = undefined;
});

function sessionHex(client: Client): string {
  return `0x${client.getSessionId().toString('hex').replace(/^0+/, '')}`;
}

/** The replica whose `cons` lists a connection of this session. */
async function replicaHolding(target: TestEnsemble, session: string): Promise<number | undefined> {
  for (const id of target.runningIds()) {
    const cons = await fourLetterWord(target.clientPort(id), 'cons').catch(() => '');
    if (cons.includes(`sid=${session},`) || cons.includes(`sid=${session})`)) return id;
  }
  return undefined;
}

/** exists() on one replica through a fresh raw session: 0 (present) or NoNode. */
async function existsOn(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    return (await client.call(1, { kind: 'exists', path, watch: false })).header.err;
  } finally {
    client.destroy();
  }
}

describe('sessions across replicas (real processes)', { timeout: 60_000 }, () => {
  it('moves a session to another replica when its replica dies (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    await ensemble.waitForLeader();
    const client = await connectClient(ensemble.connectString(), { sessionTimeout: 4000 });
    clients.push(client);
    const session = sessionHex(client);
    await call((callback) =>
      client.create('/owned', Buffer.from('mine'), zookeeperEphemeral(), callback),
    );
    const holder = await replicaHolding(ensemble, session);
    expect(holder).toBeDefined();
    const reconnected = waitFor(client, 'connected', 15_000);
    await ensemble.kill(holder!);
    await reconnected;
    expect(sessionHex(client)).toBe(session);
    const moved = await replicaHolding(ensemble, session);
    expect(moved).toBeDefined();
    expect(moved).not.toBe(holder);
    const stat = await call<{ ephemeralOwner: Buffer }>((callback) =>
      client.exists('/owned', undefined, callback),
    );
    expect(`0x${stat.ephemeralOwner.toString('hex').replace(/^0+/, '')}`).toBe(session);
    // The session keeps working after the move: a write through its new replica.
    expect(await errorCode((callback) => client.setData('/owned', Buffer.from('v2'), -1, callback)))
      .toBe(0);
  });

  it('expires a vanished client’s session on the leader; ephemerals go everywhere', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    // A 1.2 s session on a follower: the leader alone decides when it is over.
    const client = await RawClient.session(ensemble.clientPort(follower), { timeoutMs: 1200 });
    const created = await client.call(1, {
      kind: 'create', opcode: 1, path: '/vanishing', data: Buffer.from('x'), acl: openAcl,
      flags: 1, ttl: -1,
    });
    expect(created.header.err).toBe(0);
    await ensemble.waitForSameZxid();
    for (const id of ensemble.ids) {
      expect(await existsOn(ensemble.clientPort(id), '/vanishing')).toBe(0);
    }
    client.destroy();
    await until(
      async () => {
        const answers = await Promise.all(
          ensemble!.ids.map((id) => existsOn(ensemble!.clientPort(id), '/vanishing')),
        );
        return answers.every((err) => err === ErrorCode.noNode);
      },
      10_000,
      'the ephemeral of an expired session gone from every replica',
    );
  });

  it('keeps a session alive through a follower while its client pings there (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const client = await connectClient(ensemble.connectString([follower]), {
      sessionTimeout: 1200,
    });
    clients.push(client);
    await call((callback) =>
      client.create('/alive', Buffer.from('x'), zookeeperEphemeral(), callback),
    );
    // Five session timeouts: only the follower's ping reports keep the leader from expiring it.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(await existsOn(ensemble.clientPort(leader), '/alive')).toBe(0);
    expect(await errorCode((callback) => client.exists('/alive', undefined, callback))).toBe(0);
  });

  it('serves and forwards on an observer, which never votes (3 voters + 1)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, observers: 1 });
    ensemble.startAll();
    await ensemble.waitForLeader();
    const observer = 4;
    expect((await ensemble.status(observer)).mode).toBe('observer');
    const client = await connectClient(ensemble.connectString([observer]), {
      sessionTimeout: 4000,
    });
    clients.push(client);
    await call((callback) => client.create('/from-observer', Buffer.from('o'), callback));
    await ensemble.waitForSameZxid();
    for (const id of [1, 2, 3]) {
      expect(await existsOn(ensemble.clientPort(id), '/from-observer')).toBe(0);
    }
    // Losing the observer costs the voters nothing; losing a voter leaves 2 of 3 serving.
    await ensemble.kill(observer);
    const leader = await ensemble.waitForLeader([1, 2, 3]);
    const voter = [1, 2, 3].find((id) => id !== leader)!;
    await ensemble.kill(voter);
    const remaining = [1, 2, 3].filter((id) => id !== voter);
    await ensemble.waitForLeader(remaining);
    const writer = await RawClient.session(ensemble.clientPort(remaining[0]!));
    const reply = await writer.call(1, {
      kind: 'create', opcode: 1, path: '/two-of-three', data: Buffer.alloc(0), acl: openAcl,
      flags: 0, ttl: -1,
    });
    writer.destroy();
    expect(reply.header.err).toBe(0);
  });
});

function zookeeperEphemeral() {
  // node-zookeeper-client's CreateMode.EPHEMERAL.
  return 1;
}
