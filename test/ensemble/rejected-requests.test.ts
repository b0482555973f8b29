// Requests a replica rejects before the tree (reconfig while disabled, a write whose body does
// not decode) become error txns ordered by the leader, as ZooKeeper's PrepRequestProcessor
// makes them: a follower forwards them and answers its client once the txn is applied, exactly
// as the leader answers its own, and as a ZooKeeper 3.8 ensemble answers. Real processes.

import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import { JuteWriter } from '../../protocol/jute.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

const reconfig: ClientRequest = {
  kind: 'reconfig',
  joiningServers: 'server.9=127.0.0.1:2888:3888',
  leavingServers: null,
  newMembers: null,
  currentConfigId: -1n,
};

/** A create request frame cut off inside its path: the header decodes, the body does not. */
function truncatedCreateFrame(xid: number): Buffer {
  const writer = new JuteWriter(32);
  writer.int(xid).int(OpCode.create).int(100);
  return writer.frame();
}

/**
 * On one session of the server at `port`: a reconfig, a malformed create, then a create. Returns
 * their error codes, after checking each consumed a zxid of its own in the session's order.
 */
async function rejectedThenWrite(port: number, path: string): Promise<number[]> {
  const client = await RawClient.session(port);
  try {
    const rejected = await client.call(1, reconfig, 10_000);
    client.write(truncatedCreateFrame(2));
    const malformed = await client.replyTo(2, 10_000);
    // The session goes on: a write behind them is answered in order.
    const created = await client.call(3, {
      kind: 'create', opcode: OpCode.create, path, data: Buffer.alloc(0),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0, ttl: -1,
    }, 10_000);
    expect(rejected.header.zxid).toBeGreaterThan(0);
    expect(malformed.header.zxid).toBe(rejected.header.zxid + 1);
    expect(created.header.zxid).toBe(malformed.header.zxid + 1);
    return [rejected.header.err, malformed.header.err, created.header.err];
  } finally {
    client.destroy();
  }
}

const expected = [ErrorCode.reconfigDisabled, ErrorCode.marshallingError, ErrorCode.ok];

describe('requests rejected before the tree, on every replica (real processes)', {
  timeout: 60_000,
}, () => {
  it('answers reconfig and a malformed write on a follower as the leader does (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = (await ensemble.followers())[0]!;
    expect(await rejectedThenWrite(ensemble.clientPort(leader), '/on-leader')).toEqual(expected);
    expect(await rejectedThenWrite(ensemble.clientPort(follower), '/on-follower'))
      .toEqual(expected);
    await ensemble.waitForSameZxid();
  });

  it.skipIf(!zookeeperAvailable())('answers as a ZooKeeper 3.8 ensemble does (R=3)', async () => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3 });
    try {
      zookeeper.startAll();
      const leader = await zookeeper.waitForLeader();
      const follower = (await zookeeper.followers())[0]!;
      expect(await rejectedThenWrite(zookeeper.clientPort(leader), '/on-leader'))
        .toEqual(expected);
      expect(await rejectedThenWrite(zookeeper.clientPort(follower), '/on-follower'))
        .toEqual(expected);
    } finally {
      await zookeeper.destroy();
    }
  });
});
