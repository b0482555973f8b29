// The scale benchmark's ensemble row: setData throughput and latency of a 3-replica and a
// 5-replica ensemble of each system (bench/ensemble.ts), 16 sessions × 8 outstanding with 1 KiB
// values spread round-robin over the members, as the standalone writes row uses.

import { Ensemble } from './ensemble.js';
import { progress, type Figures, type Measurement } from './scale-rows.js';
import { measureWorkload, type WorkloadSettings } from './workload.js';

export const ensembleSizes = [3, 5] as const;

export function writeSettings(seconds: number): WorkloadSettings {
  return { sessions: 16, outstanding: 8, durationMs: seconds * 1000, valueBytes: 1024,
    readShare: 0 };
}

/** Row `ensemble5`: figures `r3OpsPerSecond`, `r3P99Ms`, `r5OpsPerSecond`, `r5P99Ms`. */
export const ensembleMeasurement: Measurement = {
  rows: ['ensemble5'],
  async run(system, sizes) {
    const figures: Figures = {};
    for (const replicas of ensembleSizes) {
      const ensemble = await Ensemble.create(system, replicas);
      try {
        await ensemble.start();
        const result = await measureWorkload(ensemble.targets(), writeSettings(sizes.seconds),
          'setData');
        if (result.errors > 0) throw new Error(`${result.errors} setData errors`);
        progress(`${system}: ${replicas} replicas setData ${Math.round(result.opsPerSecond)} ` +
          `ops/s, p99 ${result.p99Ms.toFixed(2)} ms`);
        figures[`r${replicas}OpsPerSecond`] = result.opsPerSecond;
        figures[`r${replicas}P50Ms`] = result.p50Ms;
        figures[`r${replicas}P99Ms`] = result.p99Ms;
      } finally {
        await ensemble.stop();
      }
    }
    return { ensemble5: figures };
  },
};
