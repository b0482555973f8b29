// A Prometheus summary that costs the request path one reservoir slot per observation: its
// quantiles come from uniform samples of the last two windows (5 minutes each, so over the last
// 5 to 10 minutes, as simpleclient's 10-minute window in 5 buckets that ZooKeeper uses), its
// _sum and _count from the SummaryStatistic it exports. prom-client's own Summary updates five
// t-digests per observation (about 2 µs measured here), too dear for every request; its
// registry prints this one as it prints its own metrics.
import {
  sampleQuantile,
  UniformReservoir,
  type SummarySetStatistic,
  type SummaryStatistic,
} from '../server/summary-statistics.js';

/** A line of the summary as prom-client's registry formats it. */
interface SummaryValue {
  value: number;
  labels: Record<string, number>;
  metricName?: string;
}

/** How long one window collects before the older is dropped (half simpleclient's maxAge). */
export const summaryWindowMs = 5 * 60 * 1000;

/** The quantile of the union of `windows`, each sample weighted by how many it stands for. */
function weightedQuantile(windows: readonly UniformReservoir[], quantile: number): number {
  const weighted: Array<[number, number]> = [];
  for (const window of windows) {
    const sorted = window.sorted();
    if (sorted.length === 0) continue;
    const weight = window.seen / sorted.length;
    for (const value of sorted) weighted.push([value, weight]);
  }
  if (weighted.length === 0) return Number.NaN;
  if (windows.length === 1 || weighted.length === 1) {
    return sampleQuantile(Float64Array.from(weighted, ([value]) => value), quantile);
  }
  weighted.sort((left, right) => left[0] - right[0]);
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let cumulative = 0;
  for (const [value, weight] of weighted) {
    cumulative += weight;
    if (cumulative >= quantile * total) return value;
  }
  return weighted[weighted.length - 1]![0];
}

export class WindowedSummary {
  readonly type = 'summary';
  readonly aggregator = 'sum';
  private current = new UniformReservoir();
  private previous = new UniformReservoir();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly quantiles: readonly number[],
    private readonly statistic: SummaryStatistic,
    /** Multiplies each observation on the way out (ms observed, seconds exported). */
    private readonly scale = 1,
  ) {}

  /** One observation, as SummaryStatistic's exporter: one reservoir slot, no allocation. */
  observe(value: number): void {
    this.current.offer(value);
  }

  /** A new window begins; the one before the last is forgotten. */
  rotate(): void {
    const dropped = this.previous;
    this.previous = this.current;
    dropped.reset();
    this.current = dropped;
  }

  /** What prom-client's registry prints: quantiles (NaN with no samples, as simpleclient's),
   * then _sum and _count over everything observed. */
  get(): { name: string; help: string; type: 'summary'; aggregator: 'sum';
    values: SummaryValue[] } {
    const windows = [this.previous, this.current];
    const values: SummaryValue[] = this.quantiles.map((quantile) => ({
      labels: { quantile },
      value: weightedQuantile(windows, quantile) * this.scale,
    }));
    values.push(
      { metricName: `${this.name}_sum`, labels: {}, value: this.statistic.sum * this.scale },
      { metricName: `${this.name}_count`, labels: {}, value: this.statistic.count },
    );
    return { name: this.name, help: this.help, type: 'summary', aggregator: 'sum', values };
  }
}

/** A line of a labelled summary as prom-client's registry formats it. */
interface LabelledSummaryValue {
  value: number;
  labels: Record<string, number | string>;
  metricName?: string;
}

/**
 * A Prometheus summary with the label `key` (PrometheusMetricsProvider's SummarySet): one
 * windowed series per key of the SummarySetStatistic it exports, its _sum and _count labelled
 * with the key, as simpleclient prints a labelled summary's children.
 */
export class LabelledWindowedSummary {
  readonly type = 'summary';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, WindowedSummary>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly quantiles: readonly number[],
    private readonly statistic: SummarySetStatistic,
  ) {}

  observe(key: string, value: number): void {
    let series = this.series.get(key);
    if (series === undefined) {
      const summary = this.statistic.byKey.get(key);
      if (summary === undefined) return;
      series = new WindowedSummary(this.name, this.help, this.quantiles, summary);
      this.series.set(key, series);
    }
    series.observe(value);
  }

  rotate(): void {
    for (const series of this.series.values()) series.rotate();
  }

  get(): { name: string; help: string; type: 'summary'; aggregator: 'sum';
    values: LabelledSummaryValue[] } {
    const values: LabelledSummaryValue[] = [];
    for (const [key, series] of [...this.series].sort(([left], [right]) =>
      left < right ? -1 : left > right ? 1 : 0)) {
      for (const value of series.get().values) {
        values.push({ ...value, labels: { key, ...value.labels } });
      }
    }
    return { name: this.name, help: this.help, type: 'summary', aggregator: 'sum', values };
  }
}
