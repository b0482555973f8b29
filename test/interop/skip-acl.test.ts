// zoo.cfg skipACL=yes: a client without the credentials a node's ACL names reads, writes, lists,
// creates under and deletes it, as on Apache ZooKeeper with the same line; without the line (or
// with skipACL=no) the same client is answered NO_AUTH. Real servers, node-zookeeper-client.
import type { Client } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { call, closeClient, connectClient, errorCode, zookeeper } from './nzc.js';

const { ACL: Acl } = zookeeper;
const noAuth = -102;

interface Target {
  port: number;
  stop: () => Promise<void>;
}

/** What a stranger (no auth) gets for each operation on the owner's CREATOR_ALL_ACL node. */
async function strangerOutcomes(port: number): Promise<Record<string, number>> {
  const connect = `127.0.0.1:${port}`;
  const [owner, stranger] = await Promise.all([connectClient(connect), connectClient(connect)]);
  try {
    owner.addAuthInfo('digest', Buffer.from('alice:secret'));
    await call((callback) => owner.create('/private', Buffer.from('mine'), Acl.CREATOR_ALL_ACL,
      callback));
    const attempt = (operation: (client: Client, callback: never) => void): Promise<number> =>
      errorCode((callback) => operation(stranger, callback as never));
    return {
      getData: await attempt((client, callback) => client.getData('/private', undefined,
        callback)),
      getChildren: await attempt((client, callback) => client.getChildren('/private', undefined,
        callback)),
      setData: await attempt((client, callback) => client.setData('/private', Buffer.from('x'),
        -1, callback)),
      create: await attempt((client, callback) => client.create('/private/child', callback)),
      delete: await attempt((client, callback) => client.remove('/private/child', -1, callback)),
      setACL: await attempt((client, callback) => client.setACL('/private',
        Acl.OPEN_ACL_UNSAFE, -1, callback)),
    };
  } finally {
    await Promise.all([closeClient(owner), closeClient(stranger)]);
  }
}

const refusedEverywhere = {
  getData: noAuth, getChildren: noAuth, setData: noAuth, create: noAuth,
  // The child was never created, but the parent's DELETE is checked before the child's existence.
  delete: noAuth, setACL: noAuth,
};
const allowedEverywhere = {
  getData: 0, getChildren: 0, setData: 0, create: 0, delete: 0, setACL: 0,
};

describe.each([
  ['corral', false],
  ['Apache ZooKeeper', true],
] as const)('skipACL on %s', (_name, isReference) => {
  const servers: Record<string, Target> = {};
  beforeAll(async () => {
    if (isReference && !zookeeperAvailable()) return;
    const start = (extraConfig: string[]): Promise<Target> => isReference
      ? startZooKeeper({ extraConfig })
      : startCorral({ zooCfg: extraConfig });
    const [skipping, checking] = await Promise.all([start(['skipACL=yes']), start([])]);
    servers.skipping = skipping;
    servers.checking = checking;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  });

  it('skipACL=yes lets a client without credentials do all a node\'s ACL would refuse',
    async (context) => {
      if (servers.skipping === undefined) return context.skip();
      expect(await strangerOutcomes(servers.skipping.port)).toEqual(allowedEverywhere);
    });

  it('without skipACL the same client is refused NO_AUTH', async (context) => {
    if (servers.checking === undefined) return context.skip();
    expect(await strangerOutcomes(servers.checking.port)).toEqual(refusedEverywhere);
  });
});
