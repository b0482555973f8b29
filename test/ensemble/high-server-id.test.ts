// A replica whose myid is 128 or more: ZooKeeper puts the id in a session id's top byte, so its
// sessions' ids are negative Java longs, and that is how clients send them back. A session
// opened there must reattach through another replica and keep its ephemerals. Real processes.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { freePorts } from '../support/ports.js';

const ids = [1, 2, 200];
const servers: CorralServer[] = [];
const dir = mkdtempSync(join(tmpdir(), 'corral-high-id-'));

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A connect, retried while the replica refuses (not serving yet, or behind the client). */
async function connect(port: number, session?: { sessionId: bigint; password: Buffer;
  lastZxidSeen: number }) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = await RawClient.open(port);
    const response = await client.handshake(session ?? {});
    if (response !== 'closed') return { client, response };
    client.destroy();
    if (Date.now() > deadline) throw new Error(`no session on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a replica with myid 200', () => {
  it('opens sessions with its id in the top byte, and they reattach elsewhere', async () => {
    const peerPorts = await freePorts(2 * ids.length);
    const serverLines = ids.map((id, index) =>
      `server.${id}=127.0.0.1:${peerPorts[2 * index]}:${peerPorts[2 * index + 1]}`);
    const started = await Promise.all(ids.map((id) => {
      const dataDir = join(dir, `replica-${id}`);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${id}\n`);
      return startCorral({ dataDir,
        zooCfg: ['tickTime=200', 'initLimit=20', 'syncLimit=5', ...serverLines] });
    }));
    servers.push(...started);
    const [first, , high] = started;

    const opened = await connect(high!.port);
    expect(opened.response).not.toBe('closed');
    const { sessionId, password, timeout } = opened.response as Exclude<
      typeof opened.response, 'closed'>;
    expect(timeout).toBeGreaterThan(0);
    expect(sessionId < 0n).toBe(true);
    expect(BigInt.asUintN(64, sessionId) >> 56n).toBe(200n);
    const created = await opened.client.call(1, {
      kind: 'create', opcode: OpCode.create, path: '/owned', data: Buffer.from('x'),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 1, ttl: -1,
    } as ClientRequest, 10_000);
    expect(created.header.err).toBe(0);
    opened.client.destroy();

    const moved = await connect(first!.port,
      { sessionId, password, lastZxidSeen: created.header.zxid });
    try {
      const again = moved.response as Exclude<typeof moved.response, 'closed'>;
      // An expired session would be answered with timeout 0.
      expect(again.timeout).toBeGreaterThan(0);
      expect(again.sessionId).toBe(sessionId);
      const stat = await moved.client.call(2, { kind: 'exists', path: '/owned', watch: false } as
        ClientRequest, 10_000);
      expect(stat.header.err).toBe(0);
      expect((stat.body as { stat: { ephemeralOwner: bigint } }).stat.ephemeralOwner)
        .toBe(sessionId);
    } finally {
      moved.client.destroy();
    }
  }, 60_000);
});
