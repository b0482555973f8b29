// localSessionsEnabled on a standalone server: ZooKeeper's standalone ZooKeeperServer has no
// local session tracker, so its sessions stay global (a createSession txn each) whatever zoo.cfg
// says, and an ephemeral create just works. corral and ZooKeeper 3.8 side by side.
import { afterEach, describe, expect, it } from 'vitest';
import { fourLetterWord } from '../support/four-letter.js';
import { startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { RawClient } from './raw-client.js';

const config = ['4lw.commands.whitelist=*', 'localSessionsEnabled=true',
  'localSessionsUpgradingEnabled=false'];
const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function zxidOf(port: number): Promise<number> {
  const text = await fourLetterWord(port, 'srvr', 5000);
  return Number(/Zxid: (0x[0-9a-f]+)/.exec(text)?.[1]);
}

async function observe(port: number) {
  const before = await zxidOf(port);
  const client = await RawClient.session(port);
  try {
    const afterConnect = (await zxidOf(port)) - before;
    const created = await client.call(1, { kind: 'create', opcode: 1, path: '/standalone-e',
      data: Buffer.from('e'), acl: openAcl, flags: 1, ttl: -1 }, 10_000);
    return { afterConnect, ephemeral: created.header.err };
  } finally {
    client.destroy();
  }
}

const expected = { afterConnect: 1, ephemeral: 0 };

describe('localSessionsEnabled on a standalone server', { timeout: 60_000 }, () => {
  it('corral keeps its sessions global', async () => {
    const server = await startCorral({ zooCfg: ['tickTime=200', ...config] });
    stops.push(server.stop);
    expect(await observe(server.port)).toEqual(expected);
  });

  it.skipIf(!zookeeperAvailable())('as ZooKeeper 3.8 does', async () => {
    const server = await startZooKeeper({ extraConfig: config, tickTimeMs: 200 });
    stops.push(server.stop);
    expect(await observe(server.port)).toEqual(expected);
  });
});
