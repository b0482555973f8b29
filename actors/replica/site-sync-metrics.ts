// Where each learner's sync came from (sync from the same site), for corral_sync_source_total,
// corral_sync_delegations_total and corral_sync_fallbacks_total. The learner counts the sync
// openings it is handed: the leader's DIFF, TRUNC or SNAP, or the SNAP of the follower of its
// site the leader named (which the leader's DIFF then follows, counted as such). The leader
// counts each SNAPFROM it sends, and each SNAP it streams to a learner it had sent one on that
// connection: the fetch from the site failed (refused, cut off, overdue or rejected) and the
// tree crossed sites after all. A few comparisons per event, none per client request.
import type {
  LeaderState,
  LearnerState,
  ReplicaEvent,
  SyncStreamParams,
} from '../../machines/replica-context.js';
import type { ServerMetrics } from '../server/statistics.js';

export const syncSources = ['leader', 'site'] as const;
export const syncKinds = ['snap', 'diff', 'trunc'] as const;
export type SyncSource = (typeof syncSources)[number];
export type SyncKind = (typeof syncKinds)[number];

/** The pairs there are: a follower of the site serves only a SNAP. */
export const syncSourceKinds: ReadonlyArray<readonly [SyncSource, SyncKind]> = [
  ['leader', 'snap'], ['leader', 'diff'], ['leader', 'trunc'], ['site', 'snap'],
];

/** The key of a `source`/`kind` pair in ServerMetrics.siteSync.sources. */
export function syncSourceKey(source: SyncSource, kind: SyncKind): string {
  return `${source}/${kind}`;
}

type SyncOpening = Extract<ReplicaEvent, { type: 'peer.diff' | 'peer.trunc' | 'peer.snap' }>;

/** A DIFF, TRUNC or SNAP: the one test every delivered event goes through. */
export function opensSync(event: ReplicaEvent): event is SyncOpening {
  return event.type === 'peer.diff' || event.type === 'peer.trunc' || event.type === 'peer.snap';
}

/**
 * A sync opening on its way to a learner's machine: one from its leader, or the SNAP of the
 * follower it asked, is counted (the machine takes no other: the same guards).
 */
export function countLearnerSync(
  metrics: ServerMetrics,
  event: SyncOpening,
  learner: LearnerState | null | undefined,
): void {
  const kind: SyncKind = event.type === 'peer.diff' ? 'diff'
    : event.type === 'peer.trunc' ? 'trunc' : 'snap';
  if (learner === null || learner === undefined) return;
  let source: SyncSource;
  if (event.from === learner.leaderId) source = 'leader';
  else if (kind === 'snap' && event.from === learner.snapshotSource) source = 'site';
  else return;
  const key = syncSourceKey(source, kind);
  const sources = metrics.siteSync.sources;
  sources.set(key, (sources.get(key) ?? 0) + 1);
}

/** The leader sent SNAPFROM: a learner's snapshot delegated to a follower of its site. */
export function countDelegation(metrics: ServerMetrics): void {
  metrics.siteSync.delegations++;
}

/** The leader's sync stream to a learner: a SNAP after a SNAPFROM on its connection falls back. */
export function countFallback(
  metrics: ServerMetrics,
  params: SyncStreamParams,
  leader: LeaderState | null | undefined,
): void {
  if (params.plan.mode !== 'snap') return;
  if (leader?.learners[params.to]?.siteSnapFrom === undefined) return;
  metrics.siteSync.fallbacks++;
}
