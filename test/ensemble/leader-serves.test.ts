// zoo.cfg leaderServes=no: the leader keeps clients off (a connect is closed, its four-letter
// words say it is not serving, `isro` says null) while the followers serve every request, as a
// ZooKeeper 3.8 ensemble with the same line does. Real processes.

import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';

const notServing = 'This ZooKeeper instance is not currently serving requests';
const waitMs = 30_000;

interface Servers {
  ids: number[];
  clientPort(id: number): number;
}

/** Waits for two followers and one replica that keeps clients off; returns that one's id. */
async function leaderKeepingClientsOff(servers: Servers): Promise<number> {
  const deadline = Date.now() + waitMs;
  let answers: string[] = [];
  while (Date.now() < deadline) {
    answers = await Promise.all(servers.ids.map((id) =>
      fourLetterWord(servers.clientPort(id), 'srvr', 2000).catch(() => '')));
    const followers = answers.filter((answer) => answer.includes('Mode: follower'));
    const idle = servers.ids.filter((_, index) => answers[index]!.startsWith(notServing));
    if (followers.length === 2 && idle.length === 1) return idle[0]!;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no leader keeping clients off: ${JSON.stringify(answers)}`);
}

/** What a client and an operator meet on the leader and on a follower. */
async function observe(servers: Servers): Promise<Record<string, unknown>> {
  const leader = await leaderKeepingClientsOff(servers);
  const follower = servers.ids.find((id) => id !== leader)!;
  const onLeader = await RawClient.open(servers.clientPort(leader));
  const leaderHandshake = await onLeader.handshake();
  onLeader.destroy();
  const client = await RawClient.session(servers.clientPort(follower));
  try {
    const created = await client.call(1, {
      kind: 'create', opcode: OpCode.create, path: '/served-by-a-follower',
      data: Buffer.from('x'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      flags: 0, ttl: -1,
    }, 10_000);
    return {
      leaderHandshake: leaderHandshake === 'closed' ? 'closed' : 'session',
      leaderIsro: await fourLetterWord(servers.clientPort(leader), 'isro', 2000),
      leaderMntr: (await fourLetterWord(servers.clientPort(leader), 'mntr', 2000)).trim(),
      followerCreate: created.header.err,
    };
  } finally {
    client.destroy();
  }
}

const expected = {
  leaderHandshake: 'closed',
  leaderIsro: 'null',
  leaderMntr: notServing,
  followerCreate: ErrorCode.ok,
};

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

describe('leaderServes=no (real processes, R=3)', { timeout: 90_000 }, () => {
  it('keeps clients off the leader; the followers serve', async () => {
    ensemble = await TestEnsemble.create({
      voters: 3, extraConfig: ['leaderServes=no'], adminServers: true,
    });
    ensemble.startAll();
    expect(await observe(ensemble)).toEqual(expected);
    // The admin server still sees the leader serve (ZooKeeper hands it the leader's server).
    const leader = await leaderKeepingClientsOff(ensemble);
    const response = await fetch(`http://127.0.0.1:${ensemble.adminPort(leader)}/commands/srvr`);
    expect(await response.json()).toMatchObject({ server_stats: { server_state: 'leader' } });
  });

  it.skipIf(!zookeeperAvailable())('matches a ZooKeeper 3.8 ensemble', async () => {
    const zookeeper = await ZooKeeperEnsemble.create({
      voters: 3, extraConfig: ['leaderServes=no'],
    });
    try {
      zookeeper.startAll();
      expect(await observe(zookeeper)).toEqual(expected);
    } finally {
      await zookeeper.destroy();
    }
  });
});
