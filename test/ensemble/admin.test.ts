// The admin HTTP server on the replicas of a real 3-replica ensemble: who leads (leader,
// zabstate, voting_view, server_stats, monitor) as each replica sees it, and the answers of a
// replica that has lost its quorum: ZooKeeper's "not currently serving" error, except for the
// commands ZooKeeper also runs then (zabstate, environment, ...).

import { afterEach, describe, expect, it } from 'vitest';
import { TestEnsemble } from '../support/ensemble.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

async function admin(port: number, name: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}/commands/${name}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('admin server on an ensemble (real processes)', { timeout: 60_000 }, () => {
  it('reports the leader, Zab state and membership, then that it does not serve', async () => {
    const started = await TestEnsemble.create({ voters: 3, adminServers: true });
    ensemble = started;
    started.startAll();
    const leader = await started.waitForLeader();
    const followers = started.ids.filter((id) => id !== leader);
    const zxid = await started.waitForSameZxid();

    for (const id of started.ids) {
      const port = started.adminPort(id);
      expect(await admin(port, 'leader')).toEqual({
        is_leader: id === leader,
        leader_id: leader,
        leader_ip: '127.0.0.1',
        command: 'leader',
        error: null,
      });
      const zab = await admin(port, 'zabstate');
      expect(zab).toMatchObject({
        myid: id,
        is_leader: id === leader,
        client_address: `127.0.0.1:${started.clientPort(id)}`,
        voting: true,
        last_zxid: `0x${zxid.toString(16)}`,
        zab_epoch: Math.floor(zxid / 2 ** 32),
        zabstate: 'broadcast',
        error: null,
      });
      expect((zab.quorum_address as { all_ports: number[] }).all_ports).toHaveLength(1);
      const members = (await admin(port, 'voting_view')).current_config as
        Record<string, Record<string, unknown>>;
      expect(Object.keys(members)).toEqual(['1', '2', '3']);
      for (const [member, view] of Object.entries(members)) {
        expect(view).toMatchObject({
          server_addresses: [expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
          election_addresses: [expect.stringMatching(/^127\.0\.0\.1:\d+$/)],
          // ZooKeeper knows only its own client address unless the server line gives it.
          client_address: Number(member) === id ? `127.0.0.1:${started.clientPort(id)}` : '',
          learner_type: 'participant',
        });
      }
      const stats = await admin(port, 'server_stats');
      expect((stats.server_stats as Record<string, unknown>).server_state)
        .toBe(id === leader ? 'leader' : 'follower');
      expect('proposal_stats' in stats).toBe(id === leader);
    }
    const monitor = await admin(started.adminPort(leader), 'monitor');
    expect(monitor).toMatchObject({ server_state: 'leader', synced_followers: 2, learners: 2 });
    expect(monitor.leader_uptime).toBeGreaterThan(0);
    expect(monitor.leader_uptime).toBeLessThan(60_000);

    // Two down: the last replica loses its quorum and stops serving.
    for (const id of followers) await started.stop(id);
    const port = started.adminPort(leader);
    await until(async () => {
      const zab = await admin(port, 'zabstate');
      return zab.zabstate === '' ? zab : undefined;
    }, 20_000);
    expect(await admin(port, 'zabstate')).toEqual({
      voting: false,
      zabstate: '',
      command: 'zabstate',
      error: null,
    });
    for (const name of ['connections', 'monitor', 'leader', 'server_stats', 'ruok']) {
      expect(await admin(port, name)).toEqual({
        command: name,
        error: 'This ZooKeeper instance is not currently serving requests',
      });
    }
    expect(await admin(port, 'environment')).toMatchObject({ error: null });
    expect(await admin(port, 'gtmk')).toEqual({
      tracemask: 306,
      command: 'get_trace_mask',
      error: null,
    });
  });
});
