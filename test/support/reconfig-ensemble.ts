// The reconfigurable ensemble of either implementation lives with the benchmarks, which measure
// reconfig on it too; the interop tests use the same one.
export {
  ReconfigEnsemble,
  type Implementation,
  type ReconfigEnsembleOptions,
} from '../../bench/reconfig-ensemble.js';
