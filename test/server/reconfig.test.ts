// reconfig on a standalone server, compared with Apache ZooKeeper 3.8: ReconfigDisabled (-123)
// by default, Unimplemented (-6) with reconfigEnabled=true, and in both cases an error txn that
// consumes a zxid.

import { describe, expect, it } from 'vitest';
import { WireConnection } from '../../client/wire.js';
import { ErrorCode } from '../../protocol/errors.js';
import { startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';

async function reconfigOutcome(port: number): Promise<{ reconfig: unknown; sync: unknown }> {
  const connection = await WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  try {
    const reconfig = await connection.request({
      kind: 'reconfig',
      joiningServers: 'server.2=127.0.0.1:2888:3888',
      leavingServers: null,
      newMembers: null,
      currentConfigId: -1n,
    });
    const sync = await connection.request({ kind: 'sync', path: '/' });
    return { reconfig: reconfig.header, sync: sync.header };
  } finally {
    await connection.close();
  }
}

describe.skipIf(!zookeeperAvailable())('reconfig on a standalone server', () => {
  it.each([
    ['disabled (default)', [] as string[], ErrorCode.reconfigDisabled],
    ['enabled', ['reconfigEnabled=true'], ErrorCode.unimplemented],
  ])('answers as ZooKeeper 3.8 does when %s', async (_name, zooCfg, expectedErr) => {
    const zookeeper = await startZooKeeper({ extraConfig: zooCfg });
    const corral = await startCorral({ zooCfg });
    try {
      const expected = await reconfigOutcome(zookeeper.port);
      expect(expected.reconfig).toEqual({ xid: 1, zxid: 2, err: expectedErr });
      expect(await reconfigOutcome(corral.port)).toEqual(expected);
    } finally {
      await zookeeper.stop();
      await corral.stop();
    }
  });
});
