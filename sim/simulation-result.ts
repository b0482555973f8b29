// What one simulated run reports (sim/simulation.ts): its violations, faults and operations,
// the checked history, and each replica's machine state at the end (what a trace replays to).
import { describeQuorumRule } from '../machines/quorum.js';
import type { SimClient } from './client.js';
import type { Cluster } from './cluster.js';
import type { FaultKind } from './faults.js';
import type { ZooKeeperOperation } from './linearizability/index.js';
import type { ReconfigCounts } from './reconfig-faults.js';
import type { HistoryVerdict } from './sim-history.js';
import type { Violation } from './sim-invariants.js';

export interface SimulationResult {
  seed: number;
  violations: Violation[];
  faults: Record<FaultKind, number>;
  operations: number;
  history: HistoryVerdict;
  /** The clients' operations, as checked (for tools that look closer at a failing seed). */
  recorded: ZooKeeperOperation[];
  simulatedMs: number;
  /** The quorum rule the run counted with (describeQuorumRule). */
  quorum: string;
  /** Forged frames the stranger sent replicas (sim/stranger.ts); every one must be ignored. */
  strangerFrames: number;
  /** With `reconfig`: what was asked, and how many reconfigs committed and were activated. */
  reconfigs?: ReconfigSummary;
  /** Each running replica's replica machine state when the run ended, by server id. */
  finalStates: Record<string, unknown>;
}

export interface ReconfigSummary extends ReconfigCounts {
  /** Reconfig txns the ledger holds committed. */
  committed: number;
  /** Activations by any replica (one per replica and configuration, restarts aside). */
  activations: number;
  /** Leader crashes mid-reconfig (sim/reconfig-faults.ts leaderCrashChance). */
  leaderCrashes: number;
}

export function resultOf(
  seed: number,
  violations: Violation[],
  faults: Record<FaultKind, number>,
  clients: readonly SimClient[],
  cluster: Cluster,
  history: HistoryVerdict | undefined,
): Omit<SimulationResult, 'strangerFrames'> {
  const recorded = clients.flatMap((client) => client.history);
  return {
    seed,
    violations: [...new Set(violations)],
    faults,
    operations: clients.reduce((total, client) => total + client.counts.operations, 0),
    history: history ?? { verdict: 'unknown', operations: recorded.length, steps: 0 },
    recorded,
    simulatedMs: cluster.clock.now(),
    quorum: describeQuorumRule(cluster.quorum),
    finalStates: replicaStatesOf(cluster),
  };
}

/** Each running replica's replica machine state now, by server id. */
export function replicaStatesOf(cluster: Cluster): Record<string, unknown> {
  return Object.fromEntries(cluster.running().map((id) =>
    [String(id), cluster.replica(id).actor.getSnapshot().value]));
}
