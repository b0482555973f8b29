// Request ordering and limits on real servers: 500 pipelined requests from one session,
// maxClientCnxns, frames around jute.maxbuffer, bad command-line and zoo.cfg values, and
// four-letter words. The limit cases run against Apache ZooKeeper 3.8 with the same zoo.cfg.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { corralMain, startCorral } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { RawClient, sleep } from './raw-client.js';

const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const juteMaxBufferBytes = 0xfffff;
const limitsCfg = ['maxClientCnxns=3', '4lw.commands.whitelist=ruok,srvr'];
const targets = zookeeperAvailable() ? ['corral', 'zookeeper'] : ['corral'];
const ports = new Map<string, number>();
/**
 * A loopback address of this file's own: these servers count connections (maxClientCnxns), and
 * on 127.0.0.1 a client another test left reconnecting could land on a reused port and count.
 */
const host = '127.0.0.2';
const stops: Array<() => Promise<void>> = [];
/** What the servers said, for a failure message. */
let diagnostics = (): string => '';

beforeAll(async () => {
  const [corral, zookeeper] = await Promise.all([
    startCorral({ zooCfg: ['tickTime=2000', ...limitsCfg], clientAddress: host }),
    zookeeperAvailable()
      ? startZooKeeper({ extraConfig: limitsCfg, clientAddress: host })
      : undefined,
  ]);
  ports.set('corral', corral.port);
  stops.push(corral.stop);
  diagnostics = () =>
    `corral exit ${String(corral.process.exitCode)}; zookeeper exit ` +
    `${String(zookeeper?.process.exitCode)} ${String(zookeeper?.process.signalCode)}\n` +
    (zookeeper?.output().slice(-3000) ?? '');
  if (zookeeper !== undefined) {
    ports.set('zookeeper', zookeeper.port);
    stops.push(zookeeper.stop);
  }
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

/**
 * Waits until the server counts no connection but the `srvr` probe itself. A JVM under load
 * takes a while to notice closed sockets, and until it does they count against maxClientCnxns.
 */
async function quiesce(port: number, stillOpen = 0): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const answer = await fourLetterWord(port, 'srvr', 5000, host).catch(() => '');
    if (new RegExp(`^Connections: ${stillOpen + 1}$`, 'm').test(answer)) return;
    await sleep(100);
  }
  const last = await fourLetterWord(port, 'srvr', 5000, host).catch((error) => String(error));
  throw new Error(
    `server on ${port} still counts connections: ${JSON.stringify(last)}\n${diagnostics()}`,
  );
}

/** Destroys clients and gives the server time to count their connections as gone. */
async function release(clients: RawClient[], port: number, stillOpen = 0): Promise<void> {
  for (const client of clients) client.destroy();
  await Promise.all(clients.map((client) => client.waitClosed(2000)));
  await quiesce(port, stillOpen);
}

describe('pipeline: one session, 500 requests sent without waiting', () => {
  it('answers in xid order and every read sees the earlier writes (seeded mix)', async () => {
    const client = await RawClient.session(ports.get('corral')!, {}, host);
    const created = await client.call(1, {
      kind: 'create', opcode: 1, path: '/pipe', data: Buffer.alloc(0), acl: openAcl, flags: 0,
      ttl: -1,
    });
    expect(created.header.err).toBe(0);
    // The model: node name -> data the session last wrote.
    const model = new Map<string, string>();
    const expected = new Map<number, { err: number; data?: string }>();
    let state = 7;
    const random = (n: number): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state % n;
    };
    for (let xid = 10; xid < 510; xid++) {
      const names = [...model.keys()];
      const pick = names.length === 0 ? `n${xid}` : names[random(names.length)]!;
      const choice = names.length === 0 ? 0 : random(4);
      let request: ClientRequest;
      if (choice === 0) {
        const name = `n${xid}`;
        request = {
          kind: 'create', opcode: 1, path: `/pipe/${name}`, data: Buffer.from(`c${xid}`),
          acl: openAcl, flags: 0, ttl: -1,
        };
        model.set(name, `c${xid}`);
        expected.set(xid, { err: 0 });
      } else if (choice === 1) {
        const data = Buffer.from(`s${xid}`);
        request = { kind: 'setData', path: `/pipe/${pick}`, data, version: -1 };
        model.set(pick, `s${xid}`);
        expected.set(xid, { err: 0 });
      } else if (choice === 2) {
        request = { kind: 'getData', path: `/pipe/${pick}`, watch: false };
        expected.set(xid, { err: 0, data: model.get(pick)! });
      } else {
        // Half of the exists probe nodes not yet created: NoNode until their create.
        const probe = random(2) === 0 ? pick : `n${xid + 1000}`;
        request = { kind: 'exists', path: `/pipe/${probe}`, watch: false };
        expected.set(xid, { err: model.has(probe) ? 0 : ErrorCode.noNode });
      }
      client.send(xid, request);
    }
    await client.replyTo(509, 10_000);
    const replies = client.received.flatMap((entry) => (entry.kind === 'reply' ? [entry] : []));
    const xids = replies.map((reply) => reply.header.xid).filter((xid) => xid >= 10);
    expect(xids).toEqual(Array.from({ length: 500 }, (_, index) => index + 10));
    let lastZxid = 0;
    for (const reply of replies.filter((entry) => entry.header.xid >= 10)) {
      const want = expected.get(reply.header.xid)!;
      expect(reply.header.err, `xid ${reply.header.xid}`).toBe(want.err);
      if (want.data !== undefined) {
        expect(reply.body).toMatchObject({ kind: 'data', data: Buffer.from(want.data) });
      }
      // Reply zxids never go backwards within a session.
      expect(reply.header.zxid).toBeGreaterThanOrEqual(lastZxid);
      lastZxid = reply.header.zxid;
    }
    await release([client], ports.get('corral')!);
  });
});

/**
 * A session, retried while the server still counts a connection that just closed (the srvr
 * probe's, say: a JVM under load takes a moment to notice it): bounded to 5 s.
 */
async function sessionWhenAdmitted(port: number): Promise<RawClient> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await RawClient.session(port, {}, host);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe.each(targets)('limits (%s)', (target) => {
  it('refuses a 4th connection from 127.0.0.1 (maxClientCnxns=3); 3 work', async () => {
    const port = ports.get(target)!;
    await quiesce(port);
    const opened: RawClient[] = [];
    try {
      for (let index = 0; index < 3; index++) opened.push(await sessionWhenAdmitted(port));
      const first = [...opened];
      // Refused: closed before or after the socket connects (a JVM may reset it at once).
      const fourth = await RawClient.open(port, host).catch(() => undefined);
      if (fourth !== undefined) {
        opened.push(fourth);
        expect(await fourth.handshake()).toBe('closed');
      }
      for (const [index, client] of first.entries()) {
        const reply = await client.call(index + 1, { kind: 'exists', path: '/', watch: false });
        expect(reply.header.err).toBe(0);
      }
      await release(first.slice(0, 1), port, 2);
      const replacement = await sessionWhenAdmitted(port);
      opened.push(replacement);
      await release([replacement, ...first.slice(1)], port);
    } finally {
      // A failure must not leave connections counted against the next test's limit.
      for (const client of opened) client.destroy();
    }
  });

  it.each([
    ['at jute.maxbuffer is served', juteMaxBufferBytes, 'answered'],
    ['1 byte above jute.maxbuffer closes the connection', juteMaxBufferBytes + 1, 'closed'],
  ])('a setData frame %s', async (_name, frameBytes, outcome) => {
    await quiesce(ports.get(target)!);
    const client = await RawClient.session(ports.get(target)!, {}, host);
    // Frame body: xid, opcode, path "/" (4 + 1), data (4 + n), version: 21 bytes besides data.
    const data = Buffer.alloc(frameBytes - 21, 0x61);
    client.send(5, { kind: 'setData', path: '/', data, version: -1 });
    if (outcome === 'closed') {
      expect(await client.waitClosed(3000)).toBe(true);
    } else {
      expect((await client.replyTo(5, 5000)).header.err).toBe(0);
      await client.call(6, { kind: 'setData', path: '/', data: Buffer.alloc(0), version: -1 });
    }
    await release([client], ports.get(target)!);
  });

  it("answers ruok with imok and a word off the whitelist with ZooKeeper's message", async () => {
    const port = ports.get(target)!;
    expect(await fourLetterWord(port, 'ruok', 5000, host)).toBe('imok');
    expect(await fourLetterWord(port, 'stat', 5000, host)).toBe(
      'stat is not executed because it is not in the whitelist.\n',
    );
  });
});

describe('corral server: refusing bad configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-badcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]): { status: number | null; output: string } {
    const result = spawnSync(process.execPath, [corralMain, 'server', ...args], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it.each([
    ['--tick-time abc', ['--tick-time', 'abc'], 'tick-time'],
    ['--client-port 70000', ['--client-port', '70000'], 'client-port'],
    ['--bogus-flag', ['--bogus-flag'], 'bogus-flag'],
  ])('exits non-zero on flag %s, naming it', (_name, flags, key) => {
    const base = ['--client-port', '65000', '--client-port-address', '127.0.0.1'];
    const result = run([...base, '--data-dir', join(dir, 'data'), ...flags]);
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.output).toContain(key);
  });

  it.each([
    ['tickTime=abc', 'tickTime'],
    ['maxClientCnxns=-1', 'maxClientCnxns'],
    ['minSessionTimeout=9000\nmaxSessionTimeout=100', 'minSessionTimeout'],
    ['jute.maxbuffer=0', 'jute.maxbuffer'],
  ])('exits non-zero on zoo.cfg %j, naming the key', (line, key) => {
    const config = join(dir, `${key}.cfg`);
    writeFileSync(config, `dataDir=${join(dir, 'data')}\nclientPort=0\n${line}\n`);
    const result = run(['--config', config]);
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.output).toContain(key);
  });
});
