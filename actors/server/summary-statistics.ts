// ZooKeeper's summaries (AvgMinMaxCounter, AvgMinMaxPercentileCounter and their sets, keyed by a
// label): a count, sum, minimum and maximum, and for the advanced ones a uniform reservoir of
// samples for mntr's percentiles. ServerMetrics (statistics.ts) holds them; the Prometheus
// export reads them (actors/operations/metrics-summary.ts).

/** ZooKeeper's summary detail levels: BASIC keeps avg/min/max/count/sum, ADVANCED percentiles
 * too (mntr's p50..p999; Prometheus's 0.5/0.9/0.99 quantiles instead of 0.5 alone). */
export type SummaryDetail = 'basic' | 'advanced';

/** ZooKeeper's AvgMinMaxPercentileCounter keeps a uniform reservoir of this many samples. */
export const reservoirSamples = 1028;

/**
 * A uniform sample of everything observed (Vitter's algorithm R, as Dropwizard's
 * UniformReservoir that ZooKeeper uses): one slot written per observation, no allocation.
 */
export class UniformReservoir {
  /** Observations offered since the last reset (the population the sample stands for). */
  seen = 0;
  private readonly samples = new Float64Array(reservoirSamples);

  constructor(private readonly random: () => number = Math.random) {}

  offer(value: number): void {
    if (this.seen < this.samples.length) this.samples[this.seen] = value;
    else {
      const slot = Math.floor(this.random() * (this.seen + 1));
      if (slot < this.samples.length) this.samples[slot] = value;
    }
    this.seen++;
  }

  /** The samples held, sorted (a copy: read on demand, never on the request path). */
  sorted(): Float64Array {
    return this.samples.slice(0, Math.min(this.seen, this.samples.length)).sort();
  }

  reset(): void {
    this.seen = 0;
  }
}

/** Dropwizard's Snapshot.getValue over sorted samples (0 when there are none). */
export function sampleQuantile(sorted: Float64Array, quantile: number): number {
  if (sorted.length === 0) return 0;
  const position = quantile * (sorted.length + 1);
  if (position < 1) return sorted[0]!;
  if (position >= sorted.length) return sorted[sorted.length - 1]!;
  const lower = sorted[Math.floor(position) - 1]!;
  const upper = sorted[Math.floor(position)]!;
  return lower + (position - Math.floor(position)) * (upper - lower);
}

/**
 * One of ZooKeeper's summaries (AvgMinMaxCounter, or AvgMinMaxPercentileCounter when advanced):
 * observed where the thing is measured, at the cost of a few additions (and one reservoir slot
 * when advanced), plus Prometheus's summary when the provider is on (`exporter`).
 */
export class SummaryStatistic {
  count = 0;
  sum = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = Number.NEGATIVE_INFINITY;
  private readonly reservoir: UniformReservoir | undefined;
  /** Told every observation: the Prometheus summary of the same name, when there is one. */
  exporter: ((value: number) => void) | undefined;

  constructor(
    /** ZooKeeper's metric name (`fsynctime`), or corral's own. */
    readonly name: string,
    readonly detail: SummaryDetail,
    /** The generator that picks the reservoir slot a sample replaces once it is full. */
    random: () => number = Math.random,
  ) {
    this.reservoir = detail === 'advanced' ? new UniformReservoir(random) : undefined;
  }

  observe(value: number): void {
    this.reservoir?.offer(value);
    this.count++;
    this.sum += value;
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
    this.exporter?.(value);
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minimum;
  }

  get max(): number {
    return this.count === 0 ? 0 : this.maximum;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Forgets everything observed (srst, with the default metrics provider). */
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.minimum = Number.POSITIVE_INFINITY;
    this.maximum = Number.NEGATIVE_INFINITY;
    this.reservoir?.reset();
  }

  /** The quantile of everything observed, from the reservoir (0 when empty or basic). */
  percentile(quantile: number): number {
    return this.reservoir === undefined ? 0 : sampleQuantile(this.reservoir.sorted(), quantile);
  }
}

/** How many keys one summary set keeps: observations of further keys are not recorded. */
export const summarySetKeysMax = 10_000;

/**
 * One of ZooKeeper's SummarySets (AvgMinMaxCounterSet, or the percentile one when advanced): a
 * summary per key, named `<key>_<name>` as mntr prints it, plus Prometheus's labelled summary
 * when the provider is on (`exporter`).
 */
export class SummarySetStatistic {
  readonly byKey = new Map<string, SummaryStatistic>();
  /** Told every observation recorded: the Prometheus summary of the same name, if any. */
  exporter: ((key: string, value: number) => void) | undefined;

  constructor(
    readonly name: string,
    readonly detail: SummaryDetail,
    private readonly random: () => number = Math.random,
  ) {}

  observe(key: string, value: number): void {
    let summary = this.byKey.get(key);
    if (summary === undefined) {
      if (this.byKey.size >= summarySetKeysMax) return;
      summary = new SummaryStatistic(`${key}_${this.name}`, this.detail, this.random);
      this.byKey.set(key, summary);
    }
    summary.observe(value);
    this.exporter?.(key, value);
  }
}
