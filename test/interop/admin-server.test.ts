// The admin HTTP server (admin.serverPort, /commands/<name>) against Apache ZooKeeper 3.8's
// JettyAdminServer: the same scenario runs on both standalone servers, then every command is
// fetched from both and compared: the same fields with the same JSON types everywhere, the same
// values wherever both servers must agree (a connection's last operation, xid and zxid, the
// watches, node counts, response sizes). Session ids differ between servers, so they are
// replaced by the names of the sessions that own them before comparing.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { corralMain, startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/ports.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function create(path: string, flags = 0): ClientRequest {
  return { kind: 'create', opcode: 1, path, data: Buffer.from('x'), acl: openAcl, flags, ttl: -1 };
}

interface Target {
  name: 'zookeeper' | 'corral';
  server: ZooKeeperServer | CorralServer;
  adminPort: number;
  /** Session id (decimal, as the admin JSON has it) → the scenario's name for it. */
  sessions: Map<string, string>;
  clients: RawClient[];
}

async function openSession(target: Target, label: string): Promise<RawClient> {
  const client = await RawClient.open(target.server.port);
  const response = await client.handshake();
  if (response === 'closed' || response.timeout === 0) throw new Error('no session');
  target.sessions.set(response.sessionId.toString(), label);
  target.clients.push(client);
  return client;
}

/**
 * A: a node, an exists watch on it, a read that fails (NoNode) and a write that fails
 * (NodeExists, an error txn: ZooKeeper then reports NA). B: an ephemeral, a child watch, a ping.
 */
async function runScenario(target: Target): Promise<void> {
  const a = await openSession(target, 'A');
  expect((await a.call(1, create('/adm'))).header.err).toBe(0);
  expect((await a.call(2, { kind: 'exists', path: '/adm', watch: true })).header.err).toBe(0);
  const missing = await a.call(3, { kind: 'getData', path: '/missing', watch: false });
  expect(missing.header.err).toBe(ErrorCode.noNode);
  expect((await a.call(4, create('/adm'))).header.err).toBe(ErrorCode.nodeExists);
  const b = await openSession(target, 'B');
  expect((await b.call(1, create('/adm/e', 1))).header.err).toBe(0);
  expect((await b.call(2, { kind: 'getChildren', path: '/adm', watch: true })).header.err)
    .toBe(0);
  await b.call(-2, { kind: 'ping' });
}

/** Credentials for the commands that ask for them (corral's state-changing ones); ZooKeeper
 * 3.8 reads no Authorization header, and the open root ACL lets any digest id through. */
const authorization = { Authorization: 'digest operator:secret' };

async function admin(target: Target, name: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${target.adminPort}/commands/${name}`,
    { headers: authorization });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  // Session ids pass 2^53: read long integers as strings so no digit is lost.
  const text = (await response.text()).replace(/([:[,]\s*)(-?\d{16,})/g, '$1"$2"');
  return relabel(target, JSON.parse(text)) as Record<string, unknown>;
}

/** Session ids, as numbers or as object keys, replaced by the scenario's session names. */
function relabel(target: Target, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => relabel(target, item));
  if (typeof value === 'number' || typeof value === 'string') {
    return target.sessions.get(String(value)) ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) =>
    [target.sessions.get(key) ?? key, relabel(target, item)]));
}

/** The fields and JSON types of a response, recursively (an array by its first element). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shapeOf(item)]));
}

/**
 * dump's expiry buckets are keyed by time: ZooKeeper's monotonic JVM clock, corral's wall
 * clock (a deliberate difference, see the README). Keyed by `<time>` for comparing shapes.
 */
function withoutTimes(response: Record<string, unknown>): Record<string, unknown> {
  const buckets = response.expiry_time_to_session_ids as Record<string, unknown> | undefined;
  if (buckets === undefined) return response;
  const merged = Object.values(buckets).flat();
  return { ...response, expiry_time_to_session_ids: { '<time>': merged } };
}

function pick(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}

/** A connection's entry, found by the session it carries. */
function connectionOf(response: Record<string, unknown>, session: string) {
  const connections = response.connections as Array<Record<string, unknown>>;
  return connections.find((connection) => connection.session_id === session)!;
}

async function commandIndex(target: Target): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${target.adminPort}/commands`);
  expect(response.status).toBe(200);
  const html = await response.text();
  return [...html.matchAll(/href="\/commands\/([a-z_]+)"/g)].map((match) => match[1]!);
}

/** ZooKeeper 3.8 commands corral does not have (see the README). */
const notInCorral = ['observer_connection_stat_reset', 'observers'];
/** ZooKeeper 3.9's backup commands, which 3.8 lacks (test/interop/admin-backup.test.ts). */
const backupCommands = ['restore', 'snapshot'];
/** corral's machine event stream (server-sent events, test/ensemble/machine-events.test.ts). */
const corralOnly = ['machine_events'];

describe.skipIf(!zookeeperAvailable())('admin server, compared with ZooKeeper 3.8', () => {
  const targets: Target[] = [];
  const [zookeeper, corral] = [0, 1].map((index) => () => targets[index]!);

  beforeAll(async () => {
    const [zkAdmin, corralAdmin] = [await freePort(), await freePort()];
    const adminCfg = (port: number) => [
      'admin.enableServer=true',
      'admin.serverAddress=127.0.0.1',
      `admin.serverPort=${port}`,
    ];
    targets.push({
      name: 'zookeeper',
      server: await startZooKeeper({ adminPort: zkAdmin }),
      adminPort: zkAdmin,
      sessions: new Map(),
      clients: [],
    });
    targets.push({
      name: 'corral',
      server: await startCorral({
        zooCfg: ['tickTime=2000', '4lw.commands.whitelist=*', 'maxClientCnxns=0',
          ...adminCfg(corralAdmin)],
      }),
      adminPort: corralAdmin,
      sessions: new Map(),
      clients: [],
    });
    for (const target of targets) await runScenario(target);
  }, 60_000);

  afterAll(async () => {
    for (const target of targets) {
      for (const client of target.clients) client.destroy();
      await target.server.stop();
    }
  });

  it('lists the same commands, less the two corral does not have', async () => {
    const expected = await commandIndex(zookeeper());
    expect(expected).toEqual(expect.arrayContaining(notInCorral));
    expect(await commandIndex(corral())).toEqual(
      [...expected.filter((name) => !notInCorral.includes(name)), ...backupCommands,
        ...corralOnly].sort(),
    );
  });

  it('answers every command with the same fields and JSON types', async () => {
    const names = (await commandIndex(corral())).filter((name) =>
      // Resets change what the other tests read; the JVM's and Node's properties differ.
      !['connection_stat_reset', 'stat_reset', 'set_trace_mask', 'environment',
        'system_properties', 'monitor', ...backupCommands, ...corralOnly].includes(name));
    for (const name of names) {
      const [expected, actual] = [await admin(zookeeper(), name), await admin(corral(), name)];
      expect({ name, shape: shapeOf(withoutTimes(actual)) })
        .toEqual({ name, shape: shapeOf(withoutTimes(expected)) });
    }
  });

  it('connections: the last operation, xid and zxid as ZooKeeper reports them', async () => {
    const fields = ['interest_ops', 'outstanding_requests', 'packets_received', 'packets_sent',
      'session_id', 'last_operation', 'session_timeout', 'last_cxid', 'last_zxid'];
    const expected = await admin(zookeeper(), 'connections');
    const actual = await admin(corral(), 'connections');
    for (const session of ['A', 'B']) {
      expect(pick(connectionOf(actual, session), fields))
        .toEqual(pick(connectionOf(expected, session), fields));
    }
    // last_response_time (cons's lresp) is on the host's monotonic clock, as Java's nanoTime:
    // both servers' stamps are within this test's run of this process's own reading.
    const monotonicNowMs = Number(process.hrtime.bigint() / 1_000_000n);
    for (const report of [expected, actual]) {
      const stamp = Number(connectionOf(report, 'A').last_response_time);
      expect(monotonicNowMs - stamp).toBeGreaterThanOrEqual(0);
      expect(monotonicNowMs - stamp).toBeLessThan(120_000);
    }
    // The failed create is an error txn (NA); a ping keeps the last real xid.
    expect(connectionOf(actual, 'A')).toMatchObject({ last_operation: 'NA', last_cxid: 4 });
    expect(connectionOf(actual, 'B')).toMatchObject({ last_operation: 'PING', last_cxid: 2 });
    // The alias answers the same command.
    expect((await admin(corral(), 'cons')).command).toBe('connections');
  });

  it('watches, dump, counts and sizes agree with ZooKeeper', async () => {
    for (const name of ['watches', 'watches_by_path', 'watch_summary', 'is_read_only',
      'get_trace_mask', 'ruok', 'leader', 'zabstate', 'voting_view']) {
      const [expected, actual] = [await admin(zookeeper(), name), await admin(corral(), name)];
      expect({ name, actual }).toEqual({ name, actual: expected });
    }
    const dumps = [await admin(zookeeper(), 'dump'), await admin(corral(), 'dump')];
    expect(dumps[1]!.session_id_to_ephemeral_paths).toEqual({ B: ['/adm/e'] });
    expect(dumps[1]!.session_id_to_ephemeral_paths)
      .toEqual(dumps[0]!.session_id_to_ephemeral_paths);
    const sessionsIn = (dump: Record<string, unknown>) =>
      Object.values(dump.expiry_time_to_session_ids as Record<string, string[]>).flat().sort();
    expect(sessionsIn(dumps[1]!)).toEqual(['A', 'B']);

    const [zkStats, corralStats] = [
      await admin(zookeeper(), 'server_stats'),
      await admin(corral(), 'server_stats'),
    ];
    const serverFields = ['client_response_stats', 'server_state', 'last_processed_zxid',
      'outstanding_requests', 'num_alive_client_connections', 'provider_null'];
    expect(pick(corralStats.server_stats as Record<string, unknown>, serverFields))
      .toEqual(pick(zkStats.server_stats as Record<string, unknown>, serverFields));
    expect(pick(corralStats, ['read_only', 'node_count', 'client_response']))
      .toEqual(pick(zkStats, ['read_only', 'node_count', 'client_response']));

    const [zkMonitor, corralMonitor] = [
      await admin(zookeeper(), 'monitor'),
      await admin(corral(), 'monitor'),
    ];
    // corral reports a subset of ZooKeeper's ~500 metrics; each with ZooKeeper's name and type.
    expect(Object.keys(zkMonitor)).toEqual(expect.arrayContaining(Object.keys(corralMonitor)));
    expect(shapeOf(corralMonitor)).toEqual(shapeOf(pick(zkMonitor, Object.keys(corralMonitor))));
    const agreed = ['znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size',
      'global_sessions', 'num_alive_connections', 'server_state', 'last_client_response_size',
      'min_client_response_size', 'max_client_response_size', 'outstanding_requests'];
    expect(pick(corralMonitor, agreed)).toEqual(pick(zkMonitor, agreed));

    const [zkConfig, corralConfig] = [
      await admin(zookeeper(), 'configuration'),
      await admin(corral(), 'configuration'),
    ];
    const configFields = ['tick_time', 'max_client_cnxns', 'min_session_timeout',
      'max_session_timeout', 'server_id', 'client_port_listen_backlog'];
    expect(pick(corralConfig, configFields)).toEqual(pick(zkConfig, configFields));
    expect(corralConfig.client_port).toBe(corral().server.port);
  });

  it('answers an unknown command, another method and another path as ZooKeeper does', async () => {
    for (const target of targets) {
      expect(await admin(target, 'nope')).toEqual({
        command: 'nope',
        error: 'Unknown command: nope',
      });
      const base = `http://127.0.0.1:${target.adminPort}`;
      expect((await fetch(`${base}/commands/ruok`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
      expect((await fetch(`${base}/`)).status).toBe(404);
    }
  });

  it('sets the trace mask as ZooKeeper does, by admin command and by stmk', async () => {
    const stmk = Buffer.alloc(12);
    stmk.write('stmk');
    stmk.writeBigInt64BE(77n, 4);
    const answers = async (target: Target) => ({
      set: await admin(target, 'set_trace_mask?traceMask=123'),
      get: await admin(target, 'get_trace_mask'),
      bad: await admin(target, 'stmk?traceMask=abc'),
      missing: await admin(target, 'set_trace_mask'),
      word: await fourLetterWord(target.server.port, stmk),
      gtmk: await fourLetterWord(target.server.port, Buffer.from('gtmk')),
      after: await admin(target, 'gtmk'),
      cut: await fourLetterWord(target.server.port, Buffer.from('stmk')),
    });
    const expected = await answers(zookeeper());
    expect(expected).toMatchObject({ set: { tracemask: 123 }, word: '77', gtmk: '77', cut: '' });
    expect(await answers(corral())).toEqual(expected);
  });

  it('the resets clear what ZooKeeper clears', async () => {
    for (const target of targets) {
      expect(await admin(target, 'crst')).toEqual({
        command: 'connection_stat_reset',
        error: null,
      });
      expect(await admin(target, 'srst')).toEqual({ command: 'stat_reset', error: null });
    }
    const fields = ['packets_received', 'packets_sent', 'last_operation', 'last_cxid',
      'last_zxid', 'last_latency', 'min_latency', 'avg_latency', 'max_latency'];
    const expected = await admin(zookeeper(), 'connections');
    const actual = await admin(corral(), 'connections');
    expect(pick(connectionOf(actual, 'A'), fields))
      .toEqual(pick(connectionOf(expected, 'A'), fields));
    expect(connectionOf(actual, 'A')).toMatchObject({ last_operation: 'NA', last_cxid: -1 });
    const [zkStats, corralStats] = [
      (await admin(zookeeper(), 'server_stats')).server_stats as Record<string, unknown>,
      (await admin(corral(), 'server_stats')).server_stats as Record<string, unknown>,
    ];
    const cleared = ['client_response_stats', 'max_latency', 'min_latency', 'avg_latency',
      'auth_failed_count'];
    expect(pick(corralStats, cleared)).toEqual(pick(zkStats, cleared));
  });
});

describe('admin server, corral only', () => {
  it('is off by default, started by --admin-port, and reports the standalone server', async () => {
    const adminPort = await freePort();
    const server = await startCorral({ args: ['--admin-port', String(adminPort),
      '--admin-address', '127.0.0.1'] });
    try {
      expect(server.output()).toContain(`admin server on http://127.0.0.1:${adminPort}/commands`);
      const response = await fetch(`http://127.0.0.1:${adminPort}/commands/srvr`);
      const body = await response.json() as Record<string, Record<string, unknown>>;
      expect(body.command).toBe('server_stats');
      expect(body.server_stats!.server_state).toBe('standalone');
      const icfg = await (await fetch(`http://127.0.0.1:${adminPort}/commands/icfg`)).json();
      expect(icfg).toMatchObject({ initial_configuration: expect.stringContaining(
        `clientPort=${server.port}\n`) });
      const zxid = await (await fetch(`http://127.0.0.1:${adminPort}/commands/lsnp`)).json();
      expect(zxid).toMatchObject({ command: 'last_snapshot', zxid: expect.any(String) });
    } finally {
      await server.stop();
    }
    const plain = await startCorral();
    try {
      expect(plain.output()).not.toContain('admin server');
    } finally {
      await plain.stop();
    }
  });

  it('refuses to start when the admin port is taken, naming admin.serverPort', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => {
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port));
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'corral-admin-taken-'));
    try {
      const clientPort = await freePort();
      const child = spawn(process.execPath, [corralMain, 'server', '--client-port',
        String(clientPort), '--client-port-address', '127.0.0.1', '--data-dir',
        dataDir, '--admin-port', String(port),
        '--admin-address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      expect(code).not.toBe(0);
      expect(output).toContain('admin.serverPort');
      expect(output).toContain(`127.0.0.1:${port}`);
    } finally {
      holder.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
