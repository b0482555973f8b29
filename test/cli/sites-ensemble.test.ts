// Sites on a real 3-replica ensemble (two in eu-west, one in us-east, from zoo.cfg site.N): each
// replica's `srvr`, `mntr` and `conf` over TCP, its admin server's srvr, configuration and
// voting_view JSON, `corral status` by client port and by admin port, kazoo 2.8 reading the
// srvr answer, the server version and /zookeeper/config, and a reconfig through kazoo that moves
// one server's site: written to every dynamic file, and read back by a restarted replica. One
// ensemble serves every assertion.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corralMain } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';

const run = promisify(execFile);
const sites: Record<number, string> = { 1: 'eu-west', 2: 'eu-west', 3: 'us-east' };
const superPassword = 'sites-secret';
const superDigest = createHash('sha1').update(`super:${superPassword}`).digest('base64');

let ensemble: TestEnsemble;
let leader: number;

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 3, adminServers: true, extraConfig: [
    ...Object.entries(sites).map(([id, site]) => `site.${id}=${site}`),
    'reconfigEnabled=true', `DigestAuthenticationProvider.superDigest=super:${superDigest}`,
  ] });
  ensemble.startAll();
  leader = await ensemble.waitForLeader();
  await ensemble.waitForSameZxid();
}, 30_000);

afterAll(async () => {
  await ensemble?.destroy();
});

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function admin(id: number, command: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${ensemble.adminPort(id)}/commands/${command}`);
  expect(response.status).toBe(200);
  return await response.json() as Record<string, unknown>;
}

/** `corral status`'s table rows by server address, each as its cells. */
async function statusRows(args: string[]): Promise<{ header: string[]; rows: string[][] }> {
  const { stdout } = await run(process.execPath, [corralMain, 'status', ...args],
    { timeout: 20_000 });
  const lines = stdout.split('\n');
  return {
    header: lines[0]!.split(/ {2,}/),
    rows: lines.filter((line) => /^127\.0\.0\.1:\d+ /.test(line))
      .map((line) => line.split(/ {2,}/)),
  };
}

describe('sites on a real ensemble (R=3: eu-west, eu-west, us-east)', () => {
  it('srvr ends with each replica\'s Site line, mntr with zk_site; conf lists all', async () => {
    for (const id of ensemble.ids) {
      const port = ensemble.clientPort(id);
      const srvr = (await fourLetterWord(port, 'srvr')).trimEnd().split('\n');
      expect(srvr).toContain(`Mode: ${id === leader ? 'leader' : 'follower'}`);
      expect(srvr.at(-1)).toBe(`Site: ${sites[id]}`);
      const mntr = (await fourLetterWord(port, 'mntr')).trimEnd().split('\n');
      expect(mntr.at(-1)).toBe(`zk_site\t${sites[id]}`);
      expect(mntr.filter((line) => line.startsWith('zk_site\t'))).toHaveLength(1);
      const conf = await fourLetterWord(port, 'conf');
      expect(conf).toContain('site.1=eu-west\nsite.2=eu-west\nsite.3=us-east\nversion=0');
    }
  });

  it('the admin server shows the site in srvr, configuration and voting_view', async () => {
    for (const id of ensemble.ids) {
      expect((await admin(id, 'srvr')).site).toBe(sites[id]);
      expect((await admin(id, 'monitor')).site).toBe(sites[id]);
      const configuration = await admin(id, 'configuration');
      expect(configuration).toMatchObject({ server_id: id, site: sites[id], sites });
    }
    const view = (await admin(leader, 'voting_view')).current_config as
      Record<string, { site?: string }>;
    expect(Object.fromEntries(Object.entries(view).map(([id, server]) => [id, server.site])))
      .toEqual(sites);
  });

  it('corral status has a SITE column, by client port and by admin port', async () => {
    const byClient = await statusRows([ensemble.connectString()]);
    expect(byClient.header.slice(0, 4)).toEqual(['SERVER', 'ROLE', 'SITE', 'EPOCH']);
    expect(byClient.rows.map((cells) => [cells[0], cells[2]])).toEqual(ensemble.ids.map((id) =>
      [`127.0.0.1:${ensemble.clientPort(id)}`, sites[id]]));
    const admins = ensemble.ids.map((id) => `127.0.0.1:${ensemble.adminPort(id)}`).join(',');
    const byAdmin = await statusRows(['--admin', admins]);
    expect(byAdmin.header[2]).toBe('SITE');
    expect(byAdmin.rows.map((cells) => cells[2])).toEqual(ensemble.ids.map((id) => sites[id]));
  }, 30_000);

  it('kazoo reads srvr, the server version and /zookeeper/config with its site lines', async () => {
    const script = [
      'import json, sys',
      'from kazoo.client import KazooClient',
      'client = KazooClient(hosts=sys.argv[1], timeout=4.0)',
      'client.start(timeout=10)',
      'srvr = client.command(b"srvr")',
      'version = list(client.server_version())',
      'config = client.get("/zookeeper/config")[0].decode()',
      'client.stop(); client.close()',
      'print(json.dumps({"srvr": srvr, "version": version, "config": config}))',
    ].join('\n');
    const { stdout } = await run('/usr/bin/python3', ['-c', script,
      `127.0.0.1:${ensemble.clientPort(leader)}`], { timeout: 20_000 });
    const result = JSON.parse(stdout) as { srvr: string; version: number[]; config: string };
    expect(result.srvr).toContain(`Mode: leader\nNode count:`);
    expect(result.srvr).toContain(`Site: ${sites[leader]}\n`);
    expect(result.version).toEqual([3, 8, 0]);
    expect(result.config.split('\n').filter((line) => line.startsWith('site.')))
      .toEqual(['site.1=eu-west', 'site.2=eu-west', 'site.3=us-east']);
  }, 30_000);

  it('a reconfig moving server 3 to ap-south keeps the other sites, on disk and after a restart',
    async () => {
      const script = [
        'import sys',
        'from kazoo.client import KazooClient',
        'client = KazooClient(hosts=sys.argv[1], timeout=4.0)',
        'client.start(timeout=10)',
        'client.add_auth("digest", "super:" + sys.argv[2])',
        'data, _ = client.reconfig(joining="site.3=ap-south", leaving=None, new_members=None)',
        'client.stop(); client.close()',
        'print(data.decode())',
      ].join('\n');
      const { stdout } = await run('/usr/bin/python3', ['-c', script,
        `127.0.0.1:${ensemble.clientPort(leader)}`, superPassword], { timeout: 20_000 });
      const moved = ['site.1=eu-west', 'site.2=eu-west', 'site.3=ap-south'];
      expect(stdout.split('\n').filter((line) => line.startsWith('site.'))).toEqual(moved);
      // Every replica writes the committed membership, sites included, as its dynamic file.
      for (const id of ensemble.ids) {
        await until(() => /^dynamicConfigFile=/m.test(readFileSync(ensemble.configFile(id),
          'utf8')), 10_000);
        const zooCfg = readFileSync(ensemble.configFile(id), 'utf8');
        expect(zooCfg).not.toMatch(/^site\./m);
        const dynamicFile = /^dynamicConfigFile=(.+)$/m.exec(zooCfg)![1]!;
        expect(readFileSync(dynamicFile, 'utf8').split('\n')
          .filter((line) => line.startsWith('site.'))).toEqual(moved);
      }
      await ensemble.restart(3);
      await until(async () => (await fourLetterWord(ensemble.clientPort(3), 'srvr')
        .catch(() => '')).includes('Site: ap-south'), 15_000);
    }, 45_000);
});
