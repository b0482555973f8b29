// Real `corral server` processes on loopback: one server line with standaloneEnabled=false runs
// as a one-replica ensemble (it leads), not standalone, whether the line is in zoo.cfg or in a
// ZooKeeper 3.5+ dynamic config file; with standaloneEnabled left at true it runs standalone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/ports.js';

const directory = mkdtempSync(join(tmpdir(), 'corral-dynamic-server-'));
const servers: CorralServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(directory, { recursive: true, force: true });
});

async function modeOf(zooCfg: string[]): Promise<string | undefined> {
  const server = await startCorral({ zooCfg, args: ['--myid', '1'] });
  servers.push(server);
  return /^Mode: *(\S+)/m.exec(await fourLetterWord(server.port, 'srvr'))?.[1];
}

async function ownLine(): Promise<string> {
  return `server.1=127.0.0.1:${await freePort()}:${await freePort()}`;
}

describe('standaloneEnabled with one server line (a real corral server)', () => {
  it('leads a one-replica ensemble with standaloneEnabled=false and the line in zoo.cfg',
    async () => {
      expect(await modeOf(['standaloneEnabled=false', await ownLine()])).toBe('leader');
    }, 30_000);

  it('leads a one-replica ensemble whose line is in a dynamic config file', async () => {
    const dynamicFile = join(directory, 'zoo.cfg.dynamic.100000000');
    writeFileSync(dynamicFile, `${await ownLine()}:participant`);
    const zooCfg = ['standaloneEnabled=false', 'reconfigEnabled=true',
      `dynamicConfigFile=${dynamicFile}`];
    expect(await modeOf(zooCfg)).toBe('leader');
  }, 30_000);

  it('runs standalone with standaloneEnabled=true (ZooKeeper\'s default)', async () => {
    expect(await modeOf([await ownLine()])).toBe('standalone');
  }, 30_000);
});
