// The tree digest against Apache ZooKeeper 3.8 as the reference: ZooKeeper is given writes
// through zxid 0x80 (its `hash` keeps the digest at every 128th zxid), then its whole tree is
// read back (data and stat of every node) and digested with corral's calculator. The two must
// agree: same fields, same order, same CRC, same sum, the root as "" and /zookeeper/ left out.

import type { Client, Stat } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdditiveHash, nodeDigest } from '../../tree/node-digest.js';
import { call, callAll, closeClient, connectClient, zookeeper } from '../interop/nzc.js';
import { fourLetterWord } from '../support/four-letter.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from
  '../support/zookeeper.js';

let server: ZooKeeperServer | undefined;

beforeAll(async () => {
  if (zookeeperAvailable()) server = await startZooKeeper();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

function long(bytes: Buffer): number {
  return Number(bytes.readBigInt64BE(0));
}

/** 127 writes of every kind that changes what a digest covers (zxid 1 is the session). */
async function writeThroughZxid0x80(client: Client): Promise<void> {
  const { CreateMode, ACL, Permission, Id } = zookeeper;
  const create = (path: string, data: string, mode: number = CreateMode.PERSISTENT) =>
    call<string>((done) => client.create(path, Buffer.from(data), ACL.OPEN_ACL_UNSAFE, mode,
      done));
  let writes = 0;
  await create('/app', 'root of the app');
  await create('/app/config', '');
  await create('/app/é-unicode', 'ünïcødé data');
  await create('/app/owned', 'ephemeral', CreateMode.EPHEMERAL);
  writes += 4;
  const queued: string[] = [];
  for (let index = 0; index < 40; index++) {
    queued.push(await create('/app/queue-', `item ${index}`, CreateMode.PERSISTENT_SEQUENTIAL));
  }
  writes += 40;
  for (let index = 0; index < 30; index++) {
    await call((done) => client.setData('/app/config', Buffer.from(`v${index}`), -1, done));
  }
  writes += 30;
  for (const path of queued.slice(0, 20)) {
    await call((done) => client.remove(path, -1, done));
  }
  writes += 20;
  const readOnly = [new ACL(Permission.READ | Permission.ADMIN, new Id('world', 'anyone'))];
  await call((done) => client.setACL('/app/é-unicode', readOnly, -1, done));
  await call((done) => client.setData('/', Buffer.from('data on the root'), -1, done));
  writes += 2;
  while (writes < 127) {
    await create(`/filler-${writes}`, 'x'.repeat(writes));
    writes++;
  }
}

/** Every node's digest from what a client reads, summed as ZooKeeper's AdHash sums them. */
async function digestFromReads(client: Client): Promise<bigint> {
  const sum = new AdditiveHash();
  const visit = async (path: string): Promise<void> => {
    const [data, stat] = await callAll<[Buffer | undefined, Stat]>((done) =>
      client.getData(path, undefined, done));
    const children = await call<string[]>((done) => client.getChildren(path, undefined, done));
    sum.add(nodeDigest(path, {
      czxid: long(stat.czxid),
      mzxid: long(stat.mzxid),
      pzxid: long(stat.pzxid),
      ctime: long(stat.ctime),
      mtime: long(stat.mtime),
      version: stat.version,
      // Clients see 2 × creates − children (DataNode.copyStat); the digest covers the creates.
      cversion: (stat.cversion + stat.numChildren) / 2,
      aversion: stat.aversion,
      ephemeralOwner: stat.ephemeralOwner.readBigInt64BE(0),
      data: data ?? Buffer.alloc(0),
    }));
    for (const child of children) await visit(path === '/' ? `/${child}` : `${path}/${child}`);
  };
  await visit('/');
  return sum.value();
}

describe.skipIf(!zookeeperAvailable())('tree digest against Apache ZooKeeper 3.8', () => {
  it('digests ZooKeeper\'s tree to the value its `hash` reports at zxid 0x80', async () => {
    const client = await connectClient(`127.0.0.1:${server!.port}`);
    try {
      await writeThroughZxid0x80(client);
      const hash = await fourLetterWord(server!.port, 'hash');
      // One line per kept digest: the zxid in hex, then the digest as a signed decimal long.
      expect(hash).toMatch(/^80: -?\d+\n$/);
      const reported = BigInt(hash.slice(4).trim());
      expect(await digestFromReads(client)).toBe(reported);
    } finally {
      await closeClient(client);
    }
  }, 60_000);
});
