// Quorum with real processes (R=5): with any 2 replicas down (the leader among them) writes go on;
// with 3 down the 2 left stop serving, a write sent to them fails and is not applied there, and
// once the others return the ensemble serves again.

import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { createOn, createRequest } from '../support/ensemble-requests.js';
import { dumpTree } from '../../cli/chaos/tree-digest.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

describe('quorum (real processes, R=5)', { timeout: 60_000 }, () => {
  it('keeps serving writes with 2 replicas down, the leader one of them', async () => {
    ensemble = await TestEnsemble.create({ voters: 5 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    await ensemble.kill(leader);
    await ensemble.kill(follower);
    const survivors = ensemble.runningIds();
    await ensemble.waitForLeader(survivors);
    for (const id of survivors) {
      expect(await createOn(ensemble.clientPort(id), `/via-${id}`)).toBe(0);
    }
    await ensemble.waitForSameZxid(survivors);
  });

  it('stops serving with 3 down: a write fails, nothing applied on the minority', async () => {
    ensemble = await TestEnsemble.create({ voters: 5 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const minority = ensemble.ids.filter((id) => id !== leader).slice(0, 2);
    const majority = ensemble.ids.filter((id) => !minority.includes(id));
    const zxidBefore = await ensemble.waitForSameZxid();
    // A session on the minority, opened while the ensemble was whole.
    const client = await RawClient.session(ensemble.clientPort(minority[0]!));
    for (const id of majority) await ensemble.kill(id);
    client.send(7, createRequest('/minority-write'));
    // The replica stops serving and drops the connection: the client sees ConnectionLoss.
    await expect(client.replyTo(7, 8000)).rejects.toThrow(/no reply/);
    expect(await client.waitClosed(1000)).toBe(true);
    for (const id of minority) {
      expect((await ensemble.status(id)).mode).toBeUndefined();
      expect(await RawClient.open(ensemble.clientPort(id)).then((raw) => raw.handshake()))
        .toBe('closed');
    }
    // The majority returns: the minority's replicas never applied anything meanwhile.
    for (const id of majority) ensemble.start(id);
    await ensemble.waitForLeader();
    await ensemble.waitForSameZxid();
    const tree = await dumpTree(ensemble.clientPort(minority[1]!));
    expect(tree.data.get('/minority-write')).toBeUndefined();
    expect((await ensemble.status(minority[1]!)).zxid).toBeGreaterThan(zxidBefore);
    expect(await createOn(ensemble.clientPort(minority[0]!), '/after-return')).toBe(0);
    expect(await createOn(ensemble.clientPort(minority[0]!), '/after-return')).toBe(
      ErrorCode.nodeExists,
    );
  });
});
