// `hash` (four-letter word) against Apache ZooKeeper 3.8: the same 259 creates on each, so both
// pass zxids 0x80 and 0x100; with digest.enabled=false the answers are equal byte for byte, and
// with digests on they list the same zxids in the same format (the values differ only because
// the two servers' clocks stamp different ctime/mtime).

import { afterEach, describe, expect, it } from 'vitest';
import { call, closeClient, connectClient, zookeeper } from './nzc.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from
  '../support/zookeeper.js';

const running: Array<CorralServer | ZooKeeperServer> = [];

afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function hashAfterWrites(port: number): Promise<string> {
  const client = await connectClient(`127.0.0.1:${port}`);
  try {
    for (let index = 0; index < 259; index++) {
      await call((done) => client.create(`/n${index}`, Buffer.from('x'),
        zookeeper.ACL.OPEN_ACL_UNSAFE, zookeeper.CreateMode.PERSISTENT, done));
    }
    return await fourLetterWord(port, 'hash');
  } finally {
    await closeClient(client);
  }
}

async function both(lines: string[]): Promise<[string, string]> {
  const reference = await startZooKeeper({ extraConfig: lines });
  running.push(reference);
  const corral = await startCorral({ zooCfg: ['4lw.commands.whitelist=*', ...lines] });
  running.push(corral);
  return [await hashAfterWrites(reference.port), await hashAfterWrites(corral.port)];
}

describe.skipIf(!zookeeperAvailable())('hash against Apache ZooKeeper 3.8', () => {
  it('answers exactly as ZooKeeper with digest.enabled=false', async () => {
    const [expected, actual] = await both(['digest.enabled=false']);
    expect(expected).toBe('80: 0\n100: 0\n');
    expect(actual).toBe(expected);
  }, 90_000);

  it('lists the same zxids in the same format with digests on', async () => {
    const [expected, actual] = await both([]);
    const shape = (answer: string) => answer.replace(/: -?\d+$/gm, ': N');
    expect(shape(expected)).toBe('80: N\n100: N\n');
    expect(shape(actual)).toBe(shape(expected));
    expect(actual).not.toContain(': 0\n');
  }, 90_000);
});
