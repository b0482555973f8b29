// The linearizability checker's public surface: history and model types, the checker, the
// ZooKeeper models, and the generator of correct-by-construction histories.

export { historyProblem, isPending, precedes, type Operation } from './history.js';
export type { Model } from './model.js';
export { checkHistory, type CheckOptions, type CheckResult } from './checker.js';
export {
  describeOperation,
  linearizableZooKeeperModel,
  sessionZooKeeperModel,
  zooKeeperModel,
  type ZooKeeperModelOptions,
  type ZooKeeperOperation,
  type ZooKeeperReadMode,
} from './zookeeper-model.js';
export { partitionZooKeeperHistory } from './partition.js';
export {
  applyInput,
  renderInput,
  renderOutput,
  ZooKeeperTree,
  type ZooKeeperInput,
  type ZooKeeperOutput,
  type ZooKeeperWrite,
} from './zookeeper-tree.js';
export { generateZooKeeperHistory, type GeneratedHistory, type HistoryShape } from './generate.js';
export { Xorshift } from './random.js';
