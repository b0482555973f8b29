// /metrics of a real Apache ZooKeeper 3.8 against corral's, scraped live after the same client
// load: standalone, and a 3-server ensemble's leader and a follower. Every ZooKeeper name corral
// claims (metrics-names.ts) that ZooKeeper exports in that role, corral exports with the same
// Prometheus type, label names and quantiles, and nothing ZooKeeper leaves out of that role;
// every name ZooKeeper exports that corral does not is on the justified allow-list (omitted.ts).
// ZooKeeper's Prometheus jar is not packaged here, so ZooKeeper serves its own metrics through a
// stand-in provider compiled at test time (zookeeper-metrics/PrometheusTextProvider.java).
import { appendFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zooKeeperExportedTypes } from '../../actors/operations/metrics-names.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { until } from '../support/ensemble-requests.js';
import { freePorts } from '../support/ports.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import { prometheusLines } from '../actors/operations/metrics-support.js';
import { zooKeeper38Metrics } from '../actors/operations/zookeeper-metrics-fixture.js';
import { driveLoad, type Load } from './zookeeper-metrics/load.js';
import { omittedNames } from './zookeeper-metrics/omitted.js';
import {
  compileProvider,
  missingForScrape,
  scrapeFamilies,
  zooKeeperProviderLines,
  type ScrapedFamily,
} from './zookeeper-metrics/provider.js';

type Families = Map<string, ScrapedFamily>;
type Role = 'standalone' | 'leader' | 'follower';

const missing = missingForScrape();
if (missing !== undefined) console.warn(`metrics-zookeeper-scrape skipped: ${missing}`);

const corralMetricsLines = (port: number): string[] =>
  prometheusLines(port, ['metricsProvider.exportJvmInfo=false']);
/** Every proposal's ACKs sampled (ZooKeeper's default is one zxid in 1000): the same zoo.cfg
 * line for both, ZooKeeper taking it as its system property zookeeper.leader.*. */
const ackSampling = 'leader.ackLoggingFrequency=1';
/** The load's fourth znode under a quota is refused (ZooKeeper's system property too). */
const enforceQuota = 'enforceQuota=true';

let providerDir: string | undefined;
let zooKeeper: ZooKeeperServer | undefined;
let zooKeeperEnsemble: ZooKeeperEnsemble | undefined;
let corral: CorralServer | undefined;
let corralEnsemble: TestEnsemble | undefined;
const loads: Load[] = [];
/** Each role's scrape: [ZooKeeper's, corral's]. */
const scrapes = new Map<Role, [Families, Families]>();

async function startZooKeepers(ports: number[], jvmFlags: string[]): Promise<[number, number]> {
  const [standalonePort, ...ensemblePorts] = ports;
  const [standalone, ensemble] = await Promise.all([
    startZooKeeper({ extraConfig: [...zooKeeperProviderLines(standalonePort), enforceQuota],
      jvmFlags }),
    ZooKeeperEnsemble.create({ voters: 3,
      extraConfig: [...zooKeeperProviderLines(), ackSampling, enforceQuota], jvmFlags }),
  ]);
  zooKeeper = standalone;
  zooKeeperEnsemble = ensemble;
  for (const id of ensemble.ids) {
    appendFileSync(ensemble.configFile(id), `metricsProvider.httpPort=${ensemblePorts[id - 1]}\n`);
  }
  ensemble.startAll();
  const leader = await ensemble.waitForLeader();
  const follower = (await ensemble.followers())[0]!;
  return [leader, follower];
}

async function startCorrals(ports: number[]): Promise<[number, number]> {
  const [standalonePort, ...ensemblePorts] = ports;
  const ensemble = await TestEnsemble.create({ voters: 3 });
  corralEnsemble = ensemble;
  for (const id of ensemble.ids) {
    ensemble.setConfig(id, [...corralMetricsLines(ensemblePorts[id - 1]!), ackSampling,
      enforceQuota]);
  }
  ensemble.startAll();
  corral = await startCorral({
    zooCfg: ['tickTime=2000', '4lw.commands.whitelist=*', ...corralMetricsLines(standalonePort!),
      enforceQuota],
  });
  const leader = await ensemble.waitForLeader();
  const follower = (await ensemble.followers())[0]!;
  return [leader, follower];
}

beforeAll(async () => {
  if (missing !== undefined) return;
  const provider = compileProvider();
  providerDir = provider.dir;
  const zooKeeperPorts = await freePorts(4);
  const corralPorts = await freePorts(4);
  const [[zkLeader, zkFollower], [leader, follower]] = await Promise.all([
    startZooKeepers(zooKeeperPorts, provider.jvmFlags),
    startCorrals(corralPorts),
  ]);
  // The same load on each server scraped, side by side.
  loads.push(...await Promise.all([
    driveLoad(zooKeeper!.port, 'standalone'), driveLoad(corral!.port, 'standalone'),
    driveLoad(zooKeeperEnsemble!.clientPort(zkLeader), 'leader'),
    driveLoad(corralEnsemble!.clientPort(leader), 'leader'),
    driveLoad(zooKeeperEnsemble!.clientPort(zkFollower), 'follower',
      zooKeeperEnsemble!.clientPort(zkLeader)),
    driveLoad(corralEnsemble!.clientPort(follower), 'follower', corralEnsemble!.clientPort(leader)),
  ]));
  await corralEnsemble!.waitForSameZxid();
  await until(async () => {
    const zxids = await Promise.all(zooKeeperEnsemble!.ids.map((id) =>
      zooKeeperEnsemble!.status(id).then((status) => status.zxid)));
    return zxids.every((zxid) => zxid !== undefined && zxid === zxids[0]);
  }, 15_000, 'the ZooKeeper ensemble agrees on a zxid');
  const pairs: Array<[Role, number, number]> = [
    ['standalone', zooKeeperPorts[0]!, corralPorts[0]!],
    ['leader', zooKeeperPorts[zkLeader]!, corralPorts[leader]!],
    ['follower', zooKeeperPorts[zkFollower]!, corralPorts[follower]!],
  ];
  for (const [role, zooKeeperPort, corralPort] of pairs) {
    scrapes.set(role, await Promise.all([scrapeFamilies(zooKeeperPort),
      scrapeFamilies(corralPort)]));
  }
}, 90_000);

afterAll(async () => {
  for (const load of loads) load.close();
  await Promise.all([zooKeeper?.stop(), zooKeeperEnsemble?.destroy(), corral?.stop(),
    corralEnsemble?.destroy()]);
  if (providerDir !== undefined) rmSync(providerDir, { recursive: true, force: true });
});

/** Figures the same load gives the same values on both: the watchers each change fired, the
 * bytes of replies and notifications, each namespace's read and written bytes, its quota's
 * limits and usage. */
const comparedFigures = [
  'node_created_watch_count', 'node_deleted_watch_count', 'node_changed_watch_count',
  'node_children_watch_count', 'watch_bytes', 'response_bytes', 'read_per_namespace',
  'write_per_namespace', 'quota_count_limit_per_namespace', 'quota_bytes_limit_per_namespace',
  'quota_count_usage_per_namespace', 'quota_bytes_usage_per_namespace',
  'connection_revalidate_count', 'revalidate_count',
];

/** Summaries whose observations the load decides but whose values are times: counts only. */
const countedFigures = ['proposal_ack_creation_latency', 'propagation_latency'];

/**
 * A family's counts, sums and counter values by sample key (not its quantiles). The namespace
 * `zookeeper` is left out: a ZooKeeper replica also rewrites /zookeeper/config outside any txn
 * (ZKDatabase.initConfigInZKDatabase, at startup and again at each learner sync), which
 * write_per_namespace counts; corral writes that node when it starts or takes a SNAP only.
 */
function figuresOf(families: Families, name: string): Record<string, number> {
  const family = families.get(name);
  if (family === undefined) return {};
  return Object.fromEntries([...family.values]
    .filter(([key]) => !key.includes('quantile=') && !key.includes('key="zookeeper"'))
    .sort(([left], [right]) => (left < right ? -1 : 1)));
}

/** Label sets agree when both have series; a set with no series yet (no key observed) agrees
 * with a labelled one. */
function labelsAgree(zooKeeper: Set<string>, corral: Set<string>): boolean {
  if (zooKeeper.size === 0) return corral.size === 0 || (corral.size === 1 && corral.has('key'));
  if (corral.size === 0) return zooKeeper.size === 1 && zooKeeper.has('key');
  return [...zooKeeper].sort().join(' ') === [...corral].sort().join(' ');
}

describe.skipIf(missing !== undefined)('/metrics against a live Apache ZooKeeper 3.8', () => {
  it.each(['standalone', 'leader', 'follower'] as const)(
    'exports what ZooKeeper exports as %s, with its types and labels',
    (role) => {
      const [zooKeeperFamilies, corralFamilies] = scrapes.get(role)!;
      const claimed = zooKeeperExportedTypes();
      for (const [name, family] of corralFamilies) {
        if (name.startsWith('corral_')) continue;
        // corral exports a ZooKeeper name only where ZooKeeper does, and only names it claims.
        expect({ name, claimed: claimed.has(name), inZooKeeper: zooKeeperFamilies.has(name) })
          .toEqual({ name, claimed: true, inZooKeeper: true });
        const expected = zooKeeperFamilies.get(name)!;
        expect({ name, type: family.type }).toEqual({ name, type: expected.type });
        expect({ name, labels: [...family.labelSets],
          agree: labelsAgree(expected.labelSets, family.labelSets) })
          .toEqual({ name, labels: [...family.labelSets], agree: true });
        if (expected.labelSets.has('') && family.labelSets.has('')) {
          expect({ name, quantiles: family.quantiles })
            .toEqual({ name, quantiles: expected.quantiles });
        }
      }
      const notExported = [...zooKeeperFamilies.keys()]
        .filter((name) => !corralFamilies.has(name)).sort();
      console.log(`ZooKeeper ${role} exports, corral does not (${notExported.length}): `
        + notExported.join(' '));
      // A claimed name ZooKeeper exports here is exported; any other is on the allow-list.
      expect(notExported.filter((name) => claimed.has(name))).toEqual([]);
      expect(notExported.filter((name) => !omittedNames.has(name))).toEqual([]);
    },
  );

  it.each(['standalone', 'leader', 'follower'] as const)(
    'counts the same load as ZooKeeper does as %s', (role) => {
      const [zooKeeperFamilies, corralFamilies] = scrapes.get(role)!;
      for (const name of comparedFigures) {
        const expected = figuresOf(zooKeeperFamilies, name);
        // The load moves every one of them: an empty comparison would prove nothing.
        expect({ name, role, observed: Object.keys(expected).length > 0 })
          .toEqual({ name, role, observed: true });
        expect({ name, role, figures: figuresOf(corralFamilies, name) })
          .toEqual({ name, role, figures: expected });
      }
      for (const name of countedFigures) {
        const count = (families: Families) => families.get(name)?.values.get(`${name}_count`);
        expect({ name, role, count: count(corralFamilies) })
          .toEqual({ name, role, count: count(zooKeeperFamilies) });
      }
    },
  );

  it.each(['standalone', 'leader', 'follower'] as const)(
    'counts writes refused at a quota\'s hard limit as ZooKeeper does, as %s', (role) => {
      const [zooKeeperFamilies, corralFamilies] = scrapes.get(role)!;
      const refusals = (families: Families) =>
        figuresOf(families, 'quota_exceeded_error_per_namespace');
      // The leader checks quotas (standalone, itself): one refusal per load it applied.
      if (role !== 'follower') expect(Object.keys(refusals(zooKeeperFamilies)).length).toBe(
        role === 'standalone' ? 1 : 2);
      expect(refusals(corralFamilies)).toEqual(refusals(zooKeeperFamilies));
    },
  );

  it.each(['standalone', 'leader', 'follower'] as const)(
    'observes learner syncs in flight where ZooKeeper does, as %s', (role) => {
      // Each follower's sync is observed as it begins and as its NEWLEADER is acknowledged
      // (how many syncs each follower needed depends on the election: at least one).
      const observed = (families: Families) => ['inflight_snap_count', 'inflight_diff_count']
        .reduce((sum, name) => sum + (families.get(name)?.values.get(`${name}_count`) ?? 0), 0);
      for (const families of scrapes.get(role)!) {
        if (role === 'leader') expect(observed(families)).toBeGreaterThanOrEqual(4);
        else expect(observed(families)).toBe(0);
      }
    },
  );

  it('samples the leader\'s ACKs by voter, as ZooKeeper does', () => {
    const acks = (families: Families): Map<string, number> => new Map(
      [...families.get('ack_latency')!.values]
        .filter(([key]) => key.startsWith('ack_latency_count'))
        .map(([key, count]) => [/key="(\d+)"/.exec(key)?.[1] ?? key, count]));
    const [zooKeeperAcks, corralAcks] = scrapes.get('leader')!.map(acks);
    for (const byVoter of [zooKeeperAcks!, corralAcks!]) {
      expect([...byVoter.keys()].every((id) => ['1', '2', '3'].includes(id))).toBe(true);
    }
    // Each proposal's ACKs up to its commit: a quorum of 2 of 3, the same txns on both.
    const total = (byVoter: Map<string, number>) =>
      [...byVoter.values()].reduce((sum, count) => sum + count, 0);
    expect(total(zooKeeperAcks!)).toBeGreaterThan(0);
    expect(total(corralAcks!)).toBe(total(zooKeeperAcks!));
    // A follower logs no ACKs.
    for (const families of scrapes.get('follower')!) {
      expect(families.get('ack_latency')!.values.size).toBe(0);
    }
  });

  it('lists only ZooKeeper names corral does not claim, all of them live', () => {
    const live = new Map<string, string>();
    for (const [zooKeeperFamilies] of scrapes.values()) {
      for (const [name, family] of zooKeeperFamilies) live.set(name, family.type);
    }
    const claimed = zooKeeperExportedTypes();
    for (const name of omittedNames) {
      expect({ name, live: live.has(name), claimed: claimed.has(name) })
        .toEqual({ name, live: true, claimed: false });
    }
    // The offline table the unit tests use (zookeeper-metrics-fixture.ts) is what ZooKeeper
    // really exports across these roles, name for name and type for type.
    const fixture = Object.fromEntries(Object.entries(zooKeeper38Metrics)
      .map(([name, metric]) => [name, metric.type.toUpperCase()]));
    expect(Object.fromEntries([...live].sort())).toEqual(
      Object.fromEntries(Object.entries(fixture).sort()));
  });
});
