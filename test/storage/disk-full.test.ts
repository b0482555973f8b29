// A real full disk: a corral server whose data dir lives on a small tmpfs is written to until
// the disk is full. The writes that do not fit must fail with an error to the client, the
// server must stay up and consistent (every acknowledged write readable, nothing half done), and
// writes must succeed again once space is freed. Needs root to mount a tmpfs; skipped otherwise.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireConnection } from '../../client/wire.js';
import { ErrorCode } from '../../protocol/errors.js';
import { startCorral, type CorralServer } from '../support/corral.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'corral-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint],
    { stdio: 'ignore' });
  mounted = true;
} catch {
  mounted = false;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const value = Buffer.alloc(256 * 1024, 0x61);
/** Written to the tmpfs first and deleted later, to give the server room again. */
const ballast = join(mountPoint, 'ballast');

describe.skipIf(!mounted)('disk full (tmpfs data dir)', () => {
  let server: CorralServer;

  beforeAll(async () => {
    writeFileSync(ballast, Buffer.alloc(6 * 1024 * 1024));
    mkdirSync(join(mountPoint, 'data'));
    server = await startCorral({
      zooCfg: [`dataDir=${join(mountPoint, 'data')}`, 'snapCount=1000000'],
    });
  });

  afterAll(async () => {
    await server?.stop();
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('fails writes that do not fit with an error, keeps acknowledged ones, recovers', async () => {
    const connection = await WireConnection.open({
      host: '127.0.0.1', port: server.port, timeoutMs: 30_000,
    });
    const acknowledged: string[] = [];
    let firstError: number | undefined;
    // Bounded: 24 MiB cannot hold 200 × 256 KiB.
    for (let index = 0; index < 200 && firstError === undefined; index++) {
      const path = `/fill-${index}`;
      const { header } = await connection
        .request({ kind: 'create', opcode: 1, path, data: value, acl: openAcl, flags: 0, ttl: -1 })
        .catch((error: unknown) => {
          throw new Error(`${String(error)}\n${server.output().slice(-3000)}`);
        });
      if (header.err === 0) acknowledged.push(path);
      else firstError = header.err;
    }
    expect(firstError, server.output().slice(-2000)).toBe(ErrorCode.systemError);
    expect(acknowledged.length).toBeGreaterThan(5);
    // Still serving, and every acknowledged write is there with its data.
    for (const path of acknowledged) {
      const { header, body } = await connection.request({ kind: 'getData', path, watch: false });
      expect(header.err, path).toBe(0);
      expect(body.kind === 'data' && body.data?.equals(value) === true, path).toBe(true);
    }
    rmSync(ballast);
    const { header } = await connection.request({
      kind: 'create', opcode: 1, path: '/after-space', data: Buffer.from('ok'), acl: openAcl,
      flags: 0, ttl: -1,
    });
    expect(header.err).toBe(0);
    await connection.close();
  });
});
