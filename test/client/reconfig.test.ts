// corral's own client reconfigures a corral ensemble (3 participants and an observer, with
// reconfigEnabled and a super user): getConfig outside the chroot, removing and re-adding the
// observer, and ZooKeeper's refusals as typed errors.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadVersionError, connect, NoAuthError, type Client } from '../../client/index.js';
import { TestEnsemble } from '../support/ensemble.js';

const superDigest = `super:${createHash('sha1').update('super:boss').digest('base64')}`;

describe('reconfig through corral\'s client', () => {
  let ensemble: TestEnsemble;
  const clients: Client[] = [];

  beforeAll(async () => {
    ensemble = await TestEnsemble.create({
      voters: 3,
      observers: 1,
      extraConfig: ['reconfigEnabled=true',
        `DigestAuthenticationProvider.superDigest=${superDigest}`],
    });
    ensemble.startAll();
    await ensemble.waitForLeader();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await ensemble?.destroy();
  });

  async function client(chroot = ''): Promise<Client> {
    const opened = await connect(`${ensemble.connectString([1, 2, 3])}${chroot}`);
    clients.push(opened);
    return opened;
  }

  it('removes the observer and adds it back, as the super user', async () => {
    const admin = await client('/app');
    await admin.addAuth('digest', 'super:boss');
    const before = await admin.getConfig();
    expect(before.servers).toEqual([1, 2, 3, 4]);
    const line = before.text.split('\n').find((text) => text.startsWith('server.4='))!;
    expect(line).toMatch(/:observer$/);
    // A joining line names its client address (ZooKeeper refuses one without).
    const observerLine = `${line};127.0.0.1:${ensemble.clientPort(4)}`;

    const removed = await admin.reconfig({ leaving: [4], fromConfig: before.version });
    expect(removed.servers).toEqual([1, 2, 3]);
    expect(removed.version).toBe(BigInt(removed.stat.mzxid));
    expect(removed.stat.version).toBe(-1);

    const added = await admin.reconfig({ joining: [observerLine] });
    expect(added.servers).toEqual([1, 2, 3, 4]);
    expect(added.version > removed.version).toBe(true);
    // Every replica's clients read the new configuration.
    const reader = await client();
    await reader.sync('/');
    expect((await reader.getConfig()).text).toBe(added.text);
  });

  it('refuses a stale fromConfig and a client without the right', async () => {
    const admin = await client();
    await admin.addAuth('digest', 'super:boss');
    const current = await admin.getConfig();
    await expect(admin.reconfig({ leaving: [4], fromConfig: current.version + 1n }))
      .rejects.toBeInstanceOf(BadVersionError);
    const guest = await client();
    await expect(guest.reconfig({ leaving: [4] })).rejects.toBeInstanceOf(NoAuthError);
    expect((await admin.getConfig()).version).toBe(current.version);
  });
});
