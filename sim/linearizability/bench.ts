// Times the checker on generated 10,000-operation histories (10 clients, 50 znodes, a sequential
// queue) in both read modes. Run with `npm run build && node dist/sim/linearizability/bench.js`.

import { Command } from 'commander';
import { checkHistory } from './checker.js';
import { generateZooKeeperHistory, type HistoryShape } from './generate.js';
import { zooKeeperModel, type ZooKeeperReadMode } from './zookeeper-model.js';

const options = new Command()
  .name('corral-bench-checker')
  .description('times the linearizability checker on generated histories, in both read modes')
  .argument('[operations]', 'operations per history', '10000')
  .showHelpAfterError()
  .parse();
const operationsCount = Number(options.processedArgs[0]);
if (!Number.isInteger(operationsCount) || operationsCount < 1) {
  options.error(`invalid operations "${String(options.args[0])}": expected a positive integer`);
}

function run(label: string, reads: ZooKeeperReadMode, shape: HistoryShape): void {
  const { operations, initialTree } = generateZooKeeperHistory(shape);
  const model = zooKeeperModel({ reads, initialTree });
  const started = performance.now();
  const result = checkHistory(model, operations, { timeMsMax: 120_000 });
  const elapsedMs = performance.now() - started;
  const pending = operations.filter((operation) => operation.completedAt === null).length;
  console.log(
    `${label}: ${operations.length} ops (${pending} pending), ${result.partitions} partitions, ` +
      `verdict ${String(result.ok)}, ${result.steps} steps, ${elapsedMs.toFixed(0)} ms`,
  );
}

const base = { seed: 42, clients: 10, keys: 50, operations: operationsCount, queueRate: 0.02 };
run('linearizable, all replies', 'linearizable', base);
run('linearizable, 2% unknown outcomes', 'linearizable', { ...base, pendingRate: 0.02 });
run('session reads, stale reads + syncs', 'session', { ...base, staleReads: true });
run('session reads, stale + 2% unknown', 'session', {
  ...base,
  staleReads: true,
  pendingRate: 0.02,
});
