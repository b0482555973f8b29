// A reconfig that moves a replica to other ports (its quorum, election and client addresses): the
// others relink to it at the new quorum address once it is active, the moved replica takes its
// new addresses when restarted from the zoo.cfg the reconfig rewrote (it names the new dynamic
// file), and clients reach it on its new client port with nothing lost.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { ReconfigEnsemble } from '../support/reconfig-ensemble.js';

const superDigest = `super:${createHash('sha1').update('super:boss').digest('base64')}`;

describe('reconfig moves a replica to new ports', () => {
  const ensembles: ReconfigEnsemble[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    for (const ensemble of ensembles.splice(0)) await ensemble.destroy();
  });

  it('relinks the others, and the moved replica serves on its new client port', async () => {
    const ensemble = await ReconfigEnsemble.create({ implementation: 'corral', size: 3,
      superDigest });
    ensembles.push(ensemble);
    for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
    const leader = await ensemble.waitForLeader([1, 2, 3]);
    const moved = [1, 2, 3].find((id) => id !== leader)!;
    const others = [1, 2, 3].filter((id) => id !== moved);
    const admin = await connect(ensemble.connectString(others));
    clients.push(admin);
    await admin.addAuth('digest', 'super:boss');
    await admin.create('/before', 'x');

    const oldPort = ensemble.clientPort(moved);
    const line = await ensemble.move(moved);
    const changed = await admin.reconfig({ joining: [line] });
    expect(changed.text.split('\n')).toContain(line);
    // Once it has the change active, its zoo.cfg names the dynamic file with the new ports.
    const dynamicFileOf = () =>
      /^dynamicConfigFile=(.+)$/m.exec(readFileSync(ensemble.configFile(moved), 'utf8'))?.[1];
    for (let waited = 0; dynamicFileOf() === undefined && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ensemble.kill(moved);
    const dynamicFile = dynamicFileOf();
    expect(dynamicFile).toBeDefined();
    expect(readFileSync(dynamicFile!, 'utf8')).toContain(line);
    ensemble.restart(moved);
    await ensemble.waitForLeader([1, 2, 3]);
    expect(ensemble.clientPort(moved)).not.toBe(oldPort);

    const onMoved = await connect(ensemble.connectString([moved]));
    clients.push(onMoved);
    await onMoved.create('/after', 'y');
    await onMoved.sync('/');
    expect((await onMoved.getData('/before')).data?.toString()).toBe('x');
    await admin.sync('/');
    expect((await admin.getData('/after')).data?.toString()).toBe('y');
    expect((await onMoved.getConfig()).version).toBe(changed.version);
  }, 60_000);
});
