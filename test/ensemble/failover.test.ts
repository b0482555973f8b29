// Failover under load with a real client: node-zookeeper-client, all replicas in its connect
// string, streams creates while the leader is SIGKILLed. Writes resume, no acknowledged write is
// lost, and afterwards every replica holds the same tree (compared at the same zxid).

import { afterEach, describe, expect, it } from 'vitest';
import { closeClient, connectClient, errorCode, within } from '../interop/nzc.js';
import { TestEnsemble } from '../support/ensemble.js';
import { dumpTree } from '../../cli/chaos/tree-digest.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

const writesMax = 400;
const streamMsMax = 40_000;

describe('failover under load (real processes, nzc)', { timeout: 60_000 }, () => {
  it('loses no acknowledged write when the leader is SIGKILLed mid-stream (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const client = await connectClient(ensemble.connectString(), { sessionTimeout: 6000 });
    const acknowledged = new Map<string, string>();
    const failed: string[] = [];
    let killedAt: number | undefined;
    let firstAfterKill: number | undefined;
    const started = Date.now();
    await errorCode((callback) => client.create('/stream', callback));
    for (let index = 0; index < writesMax && Date.now() - started < streamMsMax; index++) {
      const path = `/stream/n-${index}`;
      const data = `value-${index}`;
      const code = await within(
        errorCode((callback) => client.create(path, Buffer.from(data), callback)),
        10_000,
      ).catch(() => -7);
      if (code === 0) {
        acknowledged.set(path, data);
        if (killedAt !== undefined) firstAfterKill ??= Date.now();
      } else {
        failed.push(path);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (index === 100) {
        killedAt = Date.now();
        await ensemble.kill(leader);
      }
      if (firstAfterKill !== undefined && acknowledged.size >= 300) break;
    }
    await closeClient(client);
    expect(firstAfterKill, 'writes resumed after the leader was killed').toBeDefined();
    expect(acknowledged.size).toBeGreaterThan(200);

    const survivors = ensemble.ids.filter((id) => id !== leader);
    await ensemble.waitForLeader(survivors);
    ensemble.start(leader);
    await ensemble.waitForLeader();
    await ensemble.waitForSameZxid();
    const dumps = await Promise.all(ensemble.ids.map((id) => dumpTree(ensemble!.clientPort(id))));
    for (const dump of dumps) expect(dump.digest).toBe(dumps[0]!.digest);
    const present = dumps[0]!.data;
    const lost = [...acknowledged].filter(([path, data]) => present.get(path) !== data);
    expect(lost, 'acknowledged writes missing or changed after failover').toEqual([]);
    console.log(
      `failover: ${acknowledged.size} acknowledged, ${failed.length} failed, ` +
        `first write ${firstAfterKill! - killedAt!} ms after SIGKILL`,
    );
  });
});
