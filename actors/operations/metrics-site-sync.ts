// corral's counters of sync from the same site (README "Sync from the same site"): where each
// learner's syncs came from, and the leader's delegations and the SNAPs it sent after one. The
// replica host counts them as plain numbers (actors/replica/site-sync-metrics.ts); each scrape
// sets them here, every source and kind present from the start so a rate over them is defined.
import type { Registry } from 'prom-client';
import { prom } from './prom-client.js';
import type { ServerMetrics } from '../server/statistics.js';
import { syncSourceKey, syncSourceKinds } from '../replica/site-sync-metrics.js';

/** Registers the counters in `registry`; the function returned refreshes them from `metrics`. */
export function registerSiteSyncMetrics(registry: Registry, metrics: ServerMetrics): () => void {
  const sources = new prom.Counter({
    name: 'corral_sync_source_total',
    help: "Syncs this replica took as a learner, by where they came from (the leader, or a " +
      "follower of its site) and kind (snap, diff, trunc)",
    labelNames: ['source', 'kind'],
    registers: [registry],
  });
  const delegations = new prom.Counter({
    name: 'corral_sync_delegations_total',
    help: 'Learners this leader sent to a follower of their site for the snapshot (SNAPFROM)',
    registers: [registry],
  });
  const fallbacks = new prom.Counter({
    name: 'corral_sync_fallbacks_total',
    help: 'SNAPs this leader sent a learner it had sent SNAPFROM on the same connection',
    registers: [registry],
  });
  return () => {
    const counts = metrics.siteSync;
    sources.reset();
    for (const [source, kind] of syncSourceKinds) {
      sources.inc({ source, kind }, counts.sources.get(syncSourceKey(source, kind)) ?? 0);
    }
    delegations.reset();
    delegations.inc(counts.delegations);
    fallbacks.reset();
    fallbacks.inc(counts.fallbacks);
  };
}
