// The site probe against real servers with the four-letter-word whitelists operators run: `isro`
// where whitelisted, else `srvr` (ZooKeeper's and corral's default whitelist is `srvr` alone,
// where `isro` is refused); 'null' for a replica that does not serve; a closed port fails.

import { afterAll, describe, expect, it } from 'vitest';
import { probeReadWrite, probeServing } from '../../client/probe.js';
import { startCorral } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { freePort } from '../support/ports.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { eventually } from './support.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

const probe = (port: number, ask = probeServing) =>
  ask({ host: '127.0.0.1', port }, undefined, AbortSignal.timeout(5_000));

async function corralWith(whitelist: string | undefined): Promise<number> {
  const server = await startCorral({
    zooCfg: ['tickTime=2000', ...(whitelist === undefined ? [] : [
      `4lw.commands.whitelist=${whitelist}`])],
  });
  stops.push(server.stop);
  return server.port;
}

describe('site probe (probeServing)', { timeout: 30_000 }, () => {
  it('reads srvr\'s Mode where isro is not whitelisted (corral default whitelist)', async () => {
    const port = await corralWith(undefined);
    expect(await probe(port, probeReadWrite)).toMatch(/not in the whitelist/);
    expect(await probe(port)).toBe('rw');
  });

  it('takes isro\'s answer where only isro is whitelisted', async () => {
    expect(await probe(await corralWith('isro'))).toBe('rw');
  });

  it('says null for a replica without its quorum (srvr: not serving)', async () => {
    // srvr is always whitelisted (zkServer.sh status needs it), so the probe always has a word.
    const ensemble = await TestEnsemble.create({
      voters: 3, extraConfig: ['4lw.commands.whitelist=ruok'],
    });
    stops.push(() => ensemble.destroy());
    ensemble.start(1);
    const port = ensemble.clientPort(1);
    await eventually('replica 1 listening', async () =>
      (await probe(port).catch(() => 'down')) !== 'down', 10_000);
    expect(await probe(port, probeReadWrite)).toMatch(/not in the whitelist/);
    expect(await probe(port)).toBe('null');
  });

  it('rejects on a closed port', async () => {
    await expect(probe(await freePort())).rejects.toThrow();
  });

  it.runIf(zookeeperAvailable())('reads Apache ZooKeeper 3.8\'s srvr (whitelist srvr)',
    async () => {
      const server = await startZooKeeper({ extraConfig: ['4lw.commands.whitelist=srvr'] });
      stops.push(server.stop);
      expect(await probe(server.port, probeReadWrite)).toMatch(/not in the whitelist/);
      expect(await probe(server.port)).toBe('rw');
    });
});
