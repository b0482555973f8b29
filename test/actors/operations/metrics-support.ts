// What the metrics tests share: a scrape of /metrics parsed by a real Prometheus text parser,
// mntr's lines as a map, and the value of one family.
import parsePrometheusTextFormat, {
  type PrometheusFamily,
} from 'parse-prometheus-text-format';
import { fourLetterWord } from '../../support/four-letter.js';

export type Scrape = Map<string, PrometheusFamily>;

/** GET /metrics on 127.0.0.1:`port`, parsed into families by name. */
export async function scrape(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/plain')) throw new Error(`content type ${contentType}`);
  const families = parsePrometheusTextFormat(await response.text());
  return new Map(families.map((family) => [family.name, family]));
}

/** An unlabelled gauge's or counter's value. */
export function valueOf(families: Scrape, name: string): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no ${name} in the scrape`);
  return Number(family.metrics[0]?.value);
}

/** A summary's count and sum. */
export function summaryOf(families: Scrape, name: string): { count: number; sum: number } {
  const sample = families.get(name)?.metrics[0];
  if (sample === undefined) throw new Error(`no ${name} in the scrape`);
  return { count: Number(sample.count), sum: Number(sample.sum) };
}

/** mntr on `port`, as key (without zk_) → value text. */
export async function monitor(port: number): Promise<Map<string, string>> {
  const text = await fourLetterWord(port, 'mntr', 5000);
  return new Map(text.trim().split('\n').map((line) => {
    const [key = '', value = ''] = line.split('\t');
    return [key.replace(/^zk_/, ''), value];
  }));
}

/** The Prometheus provider's zoo.cfg lines, on loopback. */
export function prometheusLines(port: number, extra: string[] = []): string[] {
  return [
    'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
    'metricsProvider.httpHost=127.0.0.1',
    `metricsProvider.httpPort=${port}`,
    ...extra,
  ];
}
