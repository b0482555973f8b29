// The summaries' arithmetic: ZooKeeper's avg/min/max/count/sum and reservoir percentiles (what
// mntr prints), and the windowed Prometheus summary (quantiles over the last two windows, NaN
// with none, _sum and _count over everything, scaled units).
import { describe, expect, it } from 'vitest';
import { WindowedSummary } from '../../../actors/operations/metrics-summary.js';
import {
  sampleQuantile,
  SummaryStatistic,
  UniformReservoir,
} from '../../../actors/server/summary-statistics.js';

/** A fixed generator: the reservoir's replacements are then reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function valuesOf(summary: WindowedSummary): Map<string, number> {
  return new Map(summary.get().values.map((line) =>
    [line.metricName ?? `q${line.labels.quantile}`, line.value]));
}

describe('SummaryStatistic (mntr)', () => {
  it.each([
    [[], { avg: 0, min: 0, max: 0, count: 0, sum: 0 }],
    [[5], { avg: 5, min: 5, max: 5, count: 1, sum: 5 }],
    [[3, 1, 2], { avg: 2, min: 1, max: 3, count: 3, sum: 6 }],
    [[0, 10], { avg: 5, min: 0, max: 10, count: 2, sum: 10 }],
  ])('observes %j', (observed, expected) => {
    const summary = new SummaryStatistic('x', 'basic');
    for (const value of observed) summary.observe(value);
    const { avg, min, max, count, sum } = summary;
    expect({ avg, min, max, count, sum }).toEqual(expected);
  });

  it.each([
    [0.5, 50.5], [0.95, 95.95], [0.99, 99.99], [0.999, 100],
  ])('advanced: percentile %d of 1..100 is %d (Dropwizard\'s interpolation)', (q, expected) => {
    const summary = new SummaryStatistic('x', 'advanced');
    for (let value = 100; value >= 1; value--) summary.observe(value);
    expect(summary.percentile(q)).toBeCloseTo(expected, 6);
  });

  it('basic keeps no percentiles; the reservoir holds 1028 uniform samples of many more', () => {
    expect(new SummaryStatistic('x', 'basic').percentile(0.5)).toBe(0);
    const reservoir = new UniformReservoir(seeded(7));
    for (let value = 0; value < 100_000; value++) reservoir.offer(value);
    const sorted = reservoir.sorted();
    expect(sorted.length).toBe(1028);
    expect(reservoir.seen).toBe(100_000);
    // A uniform sample of 0..99999: its median is near 50000.
    expect(Math.abs(sampleQuantile(sorted, 0.5) - 50_000)).toBeLessThan(5_000);
  });
});

describe('WindowedSummary (Prometheus)', () => {
  it('prints NaN quantiles before any observation, and _sum/_count from the statistic', () => {
    const statistic = new SummaryStatistic('x', 'basic');
    const summary = new WindowedSummary('x', 'x', [0.5, 0.9], statistic);
    expect(valuesOf(summary)).toEqual(new Map([['q0.5', NaN], ['q0.9', NaN], ['x_sum', 0],
      ['x_count', 0]]));
  });

  it('forgets what is two windows old, keeps counting it in _sum and _count', () => {
    const statistic = new SummaryStatistic('x', 'basic');
    const summary = new WindowedSummary('x', 'x', [0.5], statistic);
    statistic.exporter = (value) => summary.observe(value);
    for (let index = 0; index < 10; index++) statistic.observe(1000);
    summary.rotate();
    for (let index = 0; index < 30; index++) statistic.observe(1);
    // Both windows count, weighted by what each saw: 30 ones against 10 thousands.
    expect(valuesOf(summary).get('q0.5')).toBe(1);
    summary.rotate();
    summary.rotate();
    expect(valuesOf(summary).get('q0.5')).toBeNaN();
    statistic.observe(7);
    expect(valuesOf(summary)).toEqual(new Map([['q0.5', 7], ['x_sum', 10_037], ['x_count', 41]]));
  });

  it('weights each window by its population, not its sample size', () => {
    const statistic = new SummaryStatistic('x', 'basic');
    const summary = new WindowedSummary('x', 'x', [0.5], statistic);
    // 5000 observations of 2 (a full reservoir standing for many), then 1100 of 9.
    for (let index = 0; index < 5000; index++) summary.observe(2);
    summary.rotate();
    for (let index = 0; index < 1100; index++) summary.observe(9);
    expect(valuesOf(summary).get('q0.5')).toBe(2);
  });

  it('scales observed milliseconds to exported seconds', () => {
    const statistic = new SummaryStatistic('d', 'basic');
    const summary = new WindowedSummary('d_seconds', 'd', [0.5], statistic, 1 / 1000);
    statistic.exporter = (value) => summary.observe(value);
    statistic.observe(1500);
    expect(valuesOf(summary)).toEqual(new Map([['q0.5', 1.5], ['d_seconds_sum', 1.5],
      ['d_seconds_count', 1]]));
  });
});
