// zoo.cfg keys of ZooKeeper's guide that corral now acts on: maxCnxns (every client connection
// to the server), forceSync (yes|no, no = commits not fsynced), skipACL's spelling, the
// autopurge timer and zookeeper.datadir.autocreate, on the parser and a real `corral server`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg } from '../../actors/config/config.js';
import { lmdbFlushOptions } from '../../storage/lmdb-backend.js';
import { corralMain, startCorral } from '../support/corral.js';
import { call, closeClient, connectClient } from '../interop/nzc.js';

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';

describe('forceSync and skipACL values', () => {
  it.each([
    ['forceSync=no', { forceSync: false }],
    ['forceSync=yes', { forceSync: true }],
    ['zookeeper.forceSync=no', { forceSync: false }],
    ['skipACL=yes', { skipAcl: true }],
    ['zookeeper.skipACL=no', { skipAcl: false }],
    ['commitLogCount=20', { txnsRetainedMin: 20 }],
    ['maxCnxns=5', { connectionsMax: 5 }],
    ['zookeeper.maxCnxns=0', { connectionsMax: 0 }],
  ])('reads %s', (line, fields) => {
    expect(parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg').config).toMatchObject(fields);
  });

  it.each(['forceSync=false', 'forceSync=NO', 'skipACL=true', 'skipACL=Yes', 'maxCnxns=-1'])(
    'refuses %s (ZooKeeper would silently read it as the default), naming the key', (line) => {
      const key = line.slice(0, line.indexOf('='));
      expect(() => parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg')).toThrow(ConfigError);
      expect(() => parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg')).toThrow(`invalid ${key}`);
    });

  it.each([
    [true, { noSync: false }],
    [false, { noSync: true }],
  ])('forceSync %s opens LMDB with %j', (forceSync, options) => {
    expect(lmdbFlushOptions(forceSync)).toEqual(options);
  });
});

function openSocket(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

describe('corral server with the keys (real process)', () => {
  it('maxCnxns=2 closes a third client connection and keeps the first two', async () => {
    const server = await startCorral({ zooCfg: ['maxCnxns=2'] });
    const sockets: Socket[] = [];
    try {
      const opened = [];
      for (let index = 0; index < 3; index++) opened.push(await openSocket(server.port));
      sockets.push(...opened.map((each) => each.socket));
      await opened[2]!.closed;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(opened.slice(0, 2).map((each) => each.socket.destroyed)).toEqual([false, false]);
      // A slot freed by a close is available again.
      opened[0]!.socket.destroy();
      await opened[0]!.closed;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const client = await connectClient(`127.0.0.1:${server.port}`);
      await closeClient(client);
      expect(server.output()).toMatch(/too many client connections/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.stop();
    }
  });

  it('forceSync=no serves writes and warns that acknowledged writes may be lost', async () => {
    const server = await startCorral({ zooCfg: ['forceSync=no'] });
    try {
      const client = await connectClient(`127.0.0.1:${server.port}`);
      try {
        await call((callback) => client.create('/unsynced', Buffer.from('x'), callback));
        const data = await call<Buffer>((callback) => client.getData('/unsynced', undefined,
          callback));
        expect(data.toString()).toBe('x');
      } finally {
        await closeClient(client);
      }
      expect(server.output()).toMatch(/forceSync=no: txns are acknowledged before they are/);
    } finally {
      await server.stop();
    }
  });

  it('autopurge.purgeInterval=1 purges once at start; 0 (the default) never', async () => {
    const [purging, idle] = await Promise.all([
      startCorral({ zooCfg: ['autopurge.purgeInterval=1'] }),
      startCorral({ zooCfg: [] }),
    ]);
    try {
      const deadline = Date.now() + 5_000;
      while (!/autopurge: old snapshots/.test(purging.output()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(purging.output()).toMatch(/autopurge: old snapshots and log purged/);
      expect(idle.output()).not.toMatch(/autopurge/);
    } finally {
      await Promise.all([purging.stop(), idle.stop()]);
    }
  });

  it('zookeeper.datadir.autocreate=false refuses a missing data dir and starts on one that exists',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'corral-autocreate-'));
      try {
        const config = join(dir, 'zoo.cfg');
        writeFileSync(config, [`dataDir=${join(dir, 'missing')}`, 'clientPort=1',
          'zookeeper.datadir.autocreate=false'].join('\n'));
        const refused = spawnSync(process.execPath, [corralMain, 'server', '--config', config],
          { encoding: 'utf8', timeout: 20_000 });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(/missing and zookeeper.datadir.autocreate is false/);
        expect(existsSync(join(dir, 'missing'))).toBe(false);
        mkdirSync(join(dir, 'present'));
        const server = await startCorral({ zooCfg: [`dataDir=${join(dir, 'present')}`,
          'zookeeper.datadir.autocreate=false'] });
        await server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
