// Weighted quorum with real processes (R=3, zoo.cfg group.1=1:2:3 and weight.1=3): replica 1
// holds 3 of the 5 votes, so killing replica 2 leaves writes going, killing replica 1 stops them
// (2 and 3 are a majority of servers, not of weight), and `conf` prints the group and weights.

import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { createOn, createRequest, until } from '../support/ensemble-requests.js';
import { fourLetterWord } from '../support/four-letter.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

async function servesAny(target: TestEnsemble, ids: readonly number[]): Promise<boolean> {
  for (const id of ids) if ((await target.status(id)).mode !== undefined) return true;
  return false;
}

describe('weighted quorum (real processes, R=3, weight.1=3)', { timeout: 90_000 }, () => {
  it('keeps writing without replica 2, stops without replica 1', async () => {
    ensemble = await TestEnsemble.create({
      voters: 3,
      extraConfig: ['group.1=1:2:3', 'weight.1=3'],
    });
    ensemble.startAll();
    // Replica 1 alone is a quorum: started first, it may well lead before the others vote.
    await ensemble.waitForLeader();
    const conf = await fourLetterWord(ensemble.clientPort(2), 'conf');
    expect(conf).toMatch(/participant\ngroup\.1=1:2:3\nweight\.1=3\nweight\.2=1\nweight\.3=1\n/);

    // Replica 2 weighs 1 of 5: 1 and 3 still hold 4.
    await ensemble.kill(2);
    await ensemble.waitForLeader([1, 3]);
    expect(await createOn(ensemble.clientPort(3), '/without-2')).toBe(0);
    ensemble.start(2);
    await ensemble.waitForLeader();
    await ensemble.waitForSameZxid();

    // Replica 1 weighs 3 of 5: 2 and 3 hold 2, no quorum, though they are 2 of 3 servers.
    const client = await RawClient.session(ensemble.clientPort(3));
    await ensemble.kill(1);
    client.send(7, createRequest('/without-1'));
    await expect(client.replyTo(7, 8000)).rejects.toThrow(/no reply/);
    client.destroy();
    // Once both have noticed replica 1 is gone, neither serves again while it stays down.
    await until(async () => !(await servesAny(ensemble!, [2, 3])), 10_000, '2 and 3 stop');
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      expect(await servesAny(ensemble, [2, 3])).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Replica 1 back: the ensemble serves again. The write sent without it was never answered;
    // a leader that had logged it may still commit it with its history once 1 is back (Zab), so
    // the node may exist now or not, but nothing was acknowledged.
    ensemble.start(1);
    await ensemble.waitForLeader();
    expect(await createOn(ensemble.clientPort(2), '/with-1')).toBe(0);
    expect([0, -110]).toContain(await createOn(ensemble.clientPort(2), '/without-1'));
  });
});
