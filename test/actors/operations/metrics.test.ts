// ZooKeeper's Prometheus provider on a real standalone corral process: /metrics scraped over
// HTTP and read by a real Prometheus text parser, every ZooKeeper name corral claims with
// ZooKeeper 3.8's type (zookeeper-metrics-fixture.ts, which metrics-zookeeper-scrape.test.ts
// holds against a live ZooKeeper), values that move with the traffic, mntr
// and the admin server's monitor carrying the same values, and the settings that stop startup.
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zooKeeperExportedTypes } from '../../../actors/operations/metrics-names.js';
import {
  zooKeeperSummaryDetails,
  zooKeeperSummarySetDetails,
} from '../../../actors/server/statistics.js';
import { corralMain, startCorral, type CorralServer } from '../../support/corral.js';
import { createRequest, until } from '../../support/ensemble-requests.js';
import { fourLetterWord } from '../../support/four-letter.js';
import { freePorts } from '../../support/ports.js';
import { RawClient } from '../../server/raw-client.js';
import { monitor, prometheusLines, scrape, summaryOf, valueOf } from './metrics-support.js';
import { zooKeeper38Metrics } from './zookeeper-metrics-fixture.js';

/** Gauges ZooKeeper registers only on a replica of an ensemble (LeaderZooKeeperServer's, and
 * QuorumZooKeeperServer's quorum_size): absent standalone, as there. */
const ensembleOnlyGauges = new Set(['quorum_size', 'learners', 'synced_followers',
  'synced_non_voting_followers', 'synced_observers', 'pending_syncs', 'leader_uptime',
  'last_proposal_size', 'max_proposal_size', 'min_proposal_size']);

let server: CorralServer;
let metricsPort: number;
let adminPort: number;

beforeAll(async () => {
  [metricsPort, adminPort] = (await freePorts(2)) as [number, number];
  server = await startCorral({
    zooCfg: [
      // A snapshot every 10 txns, each followed by a compaction: their durations are measured.
      'tickTime=2000', '4lw.commands.whitelist=*', 'snapCount=10', 'admin.enableServer=true',
      'admin.serverAddress=127.0.0.1', `admin.serverPort=${adminPort}`,
      ...prometheusLines(metricsPort),
    ],
  });
});

afterAll(async () => {
  await server?.stop();
});

/** `count` creates under /m-<tag>, then a getData of each, through one session. */
async function traffic(tag: string, count: number): Promise<void> {
  const client = await RawClient.session(server.port);
  try {
    for (let index = 0; index < count; index++) {
      const reply = await client.call(index + 1, createRequest(`/m-${tag}-${index}`));
      expect(reply.header.err).toBe(0);
    }
    for (let index = 0; index < count; index++) {
      const path = `/m-${tag}-${index}`;
      const reply = await client.call(count + index + 1,
        { kind: 'getData', path, watch: false });
      expect(reply.header.err).toBe(0);
    }
  } finally {
    client.destroy();
  }
}

describe('Prometheus metrics (standalone, real process)', () => {
  it('exports every ZooKeeper name it claims with ZooKeeper 3.8 types and quantiles', async () => {
    const families = await scrape(metricsPort);
    const claimed = zooKeeperExportedTypes();
    expect(claimed.size).toBeGreaterThan(40);
    for (const [name, type] of claimed) {
      expect({ name, type: zooKeeper38Metrics[name]?.type }).toEqual({ name, type });
      const family = families.get(name);
      if (ensembleOnlyGauges.has(name)) {
        expect({ name, present: family !== undefined }).toEqual({ name, present: false });
        continue;
      }
      expect({ name, type: family?.type }).toEqual({ name, type: type.toUpperCase() });
    }
    // Whatever ZooKeeper also exports appears under its type, labelled as there.
    for (const [name, family] of families) {
      const zooKeeper = zooKeeper38Metrics[name];
      if (zooKeeper === undefined) continue;
      expect({ name, type: family.type }).toEqual({ name, type: zooKeeper.type.toUpperCase() });
      if (zooKeeper.type !== 'summary') continue;
      if (zooKeeper.labelled === true) {
        // A SummarySet: the parser folds its labelled series (the live scrape checks them).
        expect(zooKeeperSummarySetDetails[name as keyof typeof zooKeeperSummarySetDetails])
          .toBe(zooKeeper.detail);
        continue;
      }
      const quantiles = zooKeeper.detail === 'advanced' ? ['0.5', '0.9', '0.99'] : ['0.5'];
      expect({ name, quantiles: Object.keys(family.metrics[0]?.quantiles ?? {}) })
        .toEqual({ name, quantiles });
      expect(zooKeeperSummaryDetails[name as keyof typeof zooKeeperSummaryDetails])
        .toBe(zooKeeper.detail);
    }
    // corral's own, and Node's process metrics in place of the JVM's (exportJvmInfo=true).
    expect(families.get('corral_event_loop_delay_seconds')?.type).toBe('GAUGE');
    expect(families.get('corral_snapshot_duration_seconds')?.type).toBe('SUMMARY');
    expect(families.get('corral_purge_duration_seconds')?.type).toBe('SUMMARY');
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('COUNTER');
    expect(families.get('nodejs_heap_size_used_bytes')?.type).toBe('GAUGE');
    // The startup a standalone server did: snapshot loaded, log replayed, database ready.
    expect(summaryOf(families, 'dbinittime').count).toBe(1);
    expect(summaryOf(families, 'startup_txns_loaded').count).toBe(1);
  });

  it('moves with traffic: znodes, packets, bytes, latencies, fsyncs, connections', async () => {
    const before = await scrape(metricsPort);
    await traffic('moves', 12);
    const after = await scrape(metricsPort);
    const grew = (name: string) => valueOf(after, name) - valueOf(before, name);
    const counted = (name: string) => summaryOf(after, name).count - summaryOf(before, name).count;
    expect(grew('znode_count')).toBe(12);
    // The session stays until it expires: its machine is live (no close was sent).
    const sessions = after.get('corral_machine_instances')?.metrics
      .find((each) => each.labels?.machine === 'session' && each.labels.state === 'live');
    expect(Number(sessions?.value)).toBeGreaterThanOrEqual(1);
    // 24 requests, the connect request and the closeSession ZooKeeper counts as a packet too.
    expect(grew('packets_received')).toBeGreaterThanOrEqual(25);
    expect(grew('packets_sent')).toBeGreaterThanOrEqual(25);
    expect(grew('connection_request_count')).toBe(1);
    expect(grew('bytes_received_count')).toBeGreaterThan(24 * 12);
    expect(grew('approximate_data_size')).toBeGreaterThan(12 * '/m-moves-0'.length);
    expect(counted('readlatency')).toBe(12);
    expect(counted('updatelatency')).toBeGreaterThanOrEqual(12);
    // Each create was made durable before its reply: at least one group commit, one batch each.
    expect(counted('fsynctime')).toBeGreaterThanOrEqual(1);
    expect(counted('sync_processor_batch_size')).toBe(counted('fsynctime'));
    expect(summaryOf(after, 'sync_processor_batch_size').sum -
      summaryOf(before, 'sync_processor_batch_size').sum).toBeGreaterThanOrEqual(12);
    // snapCount=10: a snapshot (written in the background) and its compaction.
    let latest = after;
    await until(async () => {
      latest = await scrape(metricsPort);
      return summaryOf(latest, 'snapshottime').count > summaryOf(before, 'snapshottime').count;
    }, 10_000, 'a snapshot is taken');
    expect(summaryOf(latest, 'corral_snapshot_duration_seconds').count)
      .toBe(summaryOf(latest, 'snapshottime').count);
    expect(summaryOf(latest, 'corral_purge_duration_seconds').count).toBeGreaterThanOrEqual(1);
  });

  it('carries the same values in /metrics, mntr and the admin server\'s monitor', async () => {
    await traffic('same', 5);
    const mntr = await monitor(server.port);
    const response = await fetch(`http://127.0.0.1:${adminPort}/commands/monitor`);
    const adminMonitor = (await response.json()) as Record<string, unknown>;
    const families = await scrape(metricsPort);
    const stable = ['znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size',
      'global_sessions', 'local_sessions', 'outstanding_requests', 'max_latency', 'min_latency',
      'last_client_response_size', 'max_client_response_size', 'min_client_response_size',
      'auth_failed_count', 'packets_received', 'packets_sent', 'looking_count', 'commit_count',
      'proposal_count', 'connection_request_count', 'connection_rejected', 'diff_count',
      'snap_count', 'bytes_received_count', 'digest_mismatches_count', 'response_bytes',
      'watch_bytes'];
    // ZooKeeper counts a four-letter word as a packet in and out once it has answered it: the
    // mntr asked here, after its own answer.
    const countsMntr = new Set(['packets_received', 'packets_sent']);
    for (const name of stable) {
      const value = valueOf(families, name);
      const mntrValue = Number(mntr.get(name)) + (countsMntr.has(name) ? 1 : 0);
      expect({ name, mntr: mntrValue }).toEqual({ name, mntr: value });
      expect({ name, monitor: adminMonitor[name] }).toEqual({ name, monitor: value });
    }
    for (const name of Object.keys(zooKeeperSummaryDetails)) {
      const { count, sum } = summaryOf(families, name);
      expect({ name, count: Number(mntr.get(`cnt_${name}`)), sum: Number(mntr.get(`sum_${name}`)) })
        .toEqual({ name, count, sum });
      expect({ name, count: adminMonitor[`cnt_${name}`], sum: adminMonitor[`sum_${name}`] })
        .toEqual({ name, count, sum });
    }
    // A summary set's series under <key>_<name>: /m-same-0 written once (its path and the same
    // bytes of data) and read once (path, data and the Stat's 68 bytes), by its namespace.
    const path = '/m-same-0';
    for (const [name, sum] of [['write_per_namespace', 2 * path.length],
      ['read_per_namespace', 2 * path.length + 68]] as const) {
      const series = `m-same-0_${name}`;
      expect({ name, count: mntr.get(`cnt_${series}`), sum: mntr.get(`sum_${series}`) })
        .toEqual({ name, count: '1', sum: String(sum) });
      expect({ name, count: adminMonitor[`cnt_${series}`], sum: adminMonitor[`sum_${series}`] })
        .toEqual({ name, count: 1, sum });
    }
    const latency = summaryOf(families, 'updatelatency');
    expect(Number(mntr.get('avg_updatelatency')))
      .toBeCloseTo(latency.sum / latency.count, 3);
    expect(Number(mntr.get('p999_readlatency'))).toBeGreaterThanOrEqual(
      Number(mntr.get('p50_readlatency')));
  });

  it('turns away a page\'s request under a foreign Host and answers /metrics only', async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    // fetch will not send another Host: node:http will, as a DNS-rebinding page's browser would.
    const rebinding = await new Promise<number | undefined>((resolve, reject) => {
      get({ host: '127.0.0.1', port: metricsPort, path: '/metrics',
        headers: { host: 'attacker.example' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on('error', reject);
    });
    expect(rebinding).toBe(403);
  });

  // Last: its writes would move the snapCount=10 snapshots of the tests above (a snapshot
  // finishing between their reads of mntr and /metrics).
  it('keeps its counters and summaries through srst, as ZooKeeper\'s Prometheus provider does',
    async () => {
      await traffic('srst', 3);
      const before = await scrape(metricsPort);
      expect(await fourLetterWord(server.port, 'srst')).toBe('Server stats reset.\n');
      const after = await scrape(metricsPort);
      // srst resets ServerStats (the latency, packets) but not the provider's values.
      expect(valueOf(after, 'connection_request_count'))
        .toBeGreaterThanOrEqual(valueOf(before, 'connection_request_count'));
      expect(valueOf(after, 'connection_request_count')).toBeGreaterThan(0);
      expect(summaryOf(after, 'updatelatency').count)
        .toBe(summaryOf(before, 'updatelatency').count);
      expect(summaryOf(after, 'readlatency').count).toBeGreaterThanOrEqual(3);
      expect(valueOf(after, 'max_latency')).toBe(0);
      const mntr = await monitor(server.port);
      expect(Number(mntr.get('cnt_updatelatency'))).toBe(summaryOf(after, 'updatelatency').count);
    });
});

/** Runs `corral server --config` on `lines` and returns its exit code and output. */
async function refusedStart(lines: string[]): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-metrics-'));
  const [clientPort] = await freePorts(1);
  writeFileSync(join(dir, 'zoo.cfg'), [`dataDir=${join(dir, 'data')}`, `clientPort=${clientPort}`,
    'clientPortAddress=127.0.0.1', ...lines].join('\n') + '\n');
  const child = spawn(process.execPath, [corralMain, 'server', '--config', join(dir, 'zoo.cfg')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
  return { code, output };
}

describe('metricsProvider settings that stop startup', () => {
  it.each([
    ['another provider class', ['metricsProvider.className=com.example.MyProvider'],
      'metricsProvider.className'],
    ['a port out of range', prometheusLines(70000), 'metricsProvider.httpPort'],
    ['a port that is not a number', prometheusLines(7000).map((line) =>
      line.replace(/httpPort=\d+/, 'httpPort=seven')), 'metricsProvider.httpPort'],
  ])('refuses %s, naming the key', async (_what, lines, key) => {
    const { code, output } = await refusedStart(lines);
    expect(code).not.toBe(0);
    expect(output).toContain(key);
  });

  it('refuses a port another listener holds, naming the key', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const { code, output } = await refusedStart(prometheusLines(port));
      expect(code).not.toBe(0);
      expect(output).toContain('metricsProvider.httpPort');
    } finally {
      holder.close();
    }
  });
});
