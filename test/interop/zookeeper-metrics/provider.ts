// What the live metrics comparison needs around a real Apache ZooKeeper 3.8: the stand-in for
// its Prometheus provider (PrometheusTextProvider.java, compiled here with the JDK's javac against
// Debian's zookeeper.jar, since the provider's own jar is not packaged), the zoo.cfg and class
// path that load it, and each scraped family's type, label names and quantiles.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { classPath, zookeeperAvailable } from '../../support/zookeeper.js';

const source = join(dirname(fileURLToPath(import.meta.url)), 'PrometheusTextProvider.java');
const zooKeeperJar = '/usr/share/java/zookeeper.jar';
export const providerClassName = 'corral.testing.PrometheusTextProvider';

/** Why the live comparison cannot run here, or undefined when it can. */
export function missingForScrape(): string | undefined {
  if (!zookeeperAvailable()) return 'Apache ZooKeeper 3.8 (Debian package zookeeper) is missing';
  if (!existsSync(zooKeeperJar)) return `${zooKeeperJar} is missing`;
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
  } catch {
    return 'javac (a JDK) is missing';
  }
  return undefined;
}

/** Compiles the provider into a new temp dir; returns the class path that loads ZooKeeper with
 * it (JVMFLAGS's last -cp wins over zkServer.sh's). */
export function compileProvider(): { dir: string; jvmFlags: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-zk-provider-'));
  execFileSync('javac', ['-d', dir, '-cp', zooKeeperJar, source], { stdio: 'pipe' });
  return { dir, jvmFlags: ['-cp', `${classPath}:${dir}`] };
}

/** zoo.cfg lines that make a real ZooKeeper serve /metrics through the provider. */
export function zooKeeperProviderLines(port?: number): string[] {
  return [
    `metricsProvider.className=${providerClassName}`,
    'metricsProvider.httpHost=127.0.0.1',
    ...(port === undefined ? [] : [`metricsProvider.httpPort=${port}`]),
  ];
}

/** One family as the comparison sees it. */
export interface ScrapedFamily {
  type: string;
  /** Each sample's label names but `quantile`, sorted and joined (`''` when unlabelled). */
  labelSets: Set<string>;
  /** The quantile labels of an unlabelled summary's sample, in order. */
  quantiles: string[];
  /** Each sample's value by its sample key: `name` or `name{label="value",…}`, labels sorted. */
  values: Map<string, number>;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * GET /metrics on 127.0.0.1:`port`: names and types from parse-prometheus-text-format, label
 * names from the sample lines themselves (that parser folds a labelled summary's series into
 * one, dropping their labels).
 */
export async function scrapeFamilies(port: number): Promise<Map<string, ScrapedFamily>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics on ${port} answered ${response.status}`);
  const text = await response.text();
  const families = new Map<string, ScrapedFamily>();
  for (const family of parsePrometheusTextFormat(text)) {
    const quantiles = family.type === 'SUMMARY'
      ? Object.keys((family.metrics[0] as { quantiles?: object } | undefined)?.quantiles ?? {})
      : [];
    families.set(family.name, { type: family.type, labelSets: new Set(), quantiles,
      values: new Map() });
  }
  for (const line of text.split('\n')) {
    const match = sampleLine.exec(line);
    if (match === null) continue;
    const name = match[1]!;
    const family = families.get(name) ?? families.get(name.replace(/_(count|sum)$/, ''));
    if (family === undefined) throw new Error(`sample ${name} outside any family`);
    const pairs = [...(match[2] ?? '').matchAll(labelPair)]
      .map((each) => [each[1]!, each[2]!] as const)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    family.labelSets.add(pairs.map(([label]) => label).filter((label) => label !== 'quantile')
      .join(','));
    const key = pairs.length === 0 ? name
      : `${name}{${pairs.map(([label, value]) => `${label}="${value}"`).join(',')}}`;
    family.values.set(key, Number(line.slice(match[0].length).trim().split(' ')[0]));
  }
  return families;
}
