// The Prometheus registry of one server (prom-client), as ZooKeeper's PrometheusMetricsProvider
// fills its own: gauges sampled from mntr's values just before each scrape, counters read from
// ServerMetrics, summaries fed at each observation; plus corral's own metrics under corral_, and
// with exportJvmInfo the Node process's (prom-client's default metrics, there being no JVM).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Counter, Gauge, Metric } from 'prom-client';
import { prom } from './prom-client.js';
import type { ServerMetrics } from '../server/statistics.js';
import type { SummarySetStatistic, SummaryStatistic } from '../server/summary-statistics.js';
import type { FourLetterSource } from './four-letter-words.js';
import { monitorValues } from './four-letter-word-reports.js';
import { quotaGaugeNames, type QuotaGaugeName } from '../server/tree-metrics.js';
import {
  gaugesRegisteredEmpty,
  summaryQuantiles,
  zooKeeperExportedCounterNames,
  zooKeeperGaugeNames,
} from './metrics-names.js';
import { registerSiteSyncMetrics } from './metrics-site-sync.js';
import {
  LabelledWindowedSummary,
  summaryWindowMs,
  WindowedSummary,
} from './metrics-summary.js';

export interface MetricsRegistryOptions {
  /** The four-letter words' view of the server, built at each scrape (as mntr builds it). */
  source: () => FourLetterSource;
  metrics: ServerMetrics;
  /** metricsProvider.exportJvmInfo: Node's process metrics beside ZooKeeper's. */
  exportProcessInfo: boolean;
  /** How many session machines are in each top-level state, read at each scrape. */
  sessionStates?: () => ReadonlyMap<string, number>;
}

/** The event-loop delay quantiles corral exports (corral_event_loop_delay_seconds). */
const eventLoopQuantiles = [0.5, 0.9, 0.99] as const;
/** monitorEventLoopDelay's sampling resolution. */
const eventLoopResolutionMs = 10;

/** monitorEventLoopDelay samples the time between its timer's runs (ns): the delay is what
 * exceeds the resolution. */
function delaySeconds(sampledNs: number): number {
  return Math.max(0, sampledNs / 1e6 - eventLoopResolutionMs) / 1000;
}

export class MetricsRegistry {
  readonly registry = new prom.Registry();
  private readonly gauges = new Map<string, Gauge>();
  private readonly counters = new Map<string, Counter>();
  private readonly summaries: SummaryStatistic[] = [];
  private readonly summarySets: SummarySetStatistic[] = [];
  private readonly windowed: Array<WindowedSummary | LabelledWindowedSummary> = [];
  private readonly rotation: NodeJS.Timeout;
  private readonly machineState: Gauge<'machine' | 'state'>;
  private readonly machineTransitions: Counter<'machine' | 'state'>;
  private readonly machineInstances: Gauge<'machine' | 'state'>;
  private readonly peerQueueBytes: Gauge<'peer'>;
  private readonly peerSentFrames: Gauge<'peer'>;
  private readonly strangerFrames: Counter;
  private readonly peerSentBytes: Gauge<'peer'>;
  /** ZooKeeper's GaugeSets and CounterSets, refreshed from their figures at each scrape. */
  private readonly gaugeSets = new Map<QuotaGaugeName, Gauge<'key'>>();
  private readonly quotaRefusals: Counter<'key'>;
  private readonly eventLoopDelay: Gauge<'quantile'>;
  private readonly eventLoopDelayMax: Gauge;
  private readonly eventLoop: IntervalHistogram;
  private readonly refreshSiteSync: () => void;

  constructor(private readonly options: MetricsRegistryOptions) {
    const registry = this.registry;
    const { metrics } = options;
    for (const name of zooKeeperGaugeNames) {
      // Registered while mntr has a value for it (refreshGauges), as ZooKeeper registers the
      // leader's gauges only while leading.
      this.gauges.set(name, new prom.Gauge({ name, help: name, registers: [] }));
    }
    for (const name of zooKeeperExportedCounterNames) {
      this.counters.set(name, new prom.Counter({ name, help: name, registers: [registry] }));
    }
    for (const summary of Object.values(metrics.summaries)) {
      this.exportSummary(summary, summary.name, 1, summaryQuantiles[summary.detail]);
    }
    for (const set of Object.values(metrics.summarySets)) {
      const exported = new LabelledWindowedSummary(set.name, set.name,
        summaryQuantiles[set.detail], set);
      this.registry.registerMetric(exported as unknown as Metric);
      set.exporter = (key, value) => exported.observe(key, value);
      this.summarySets.push(set);
      this.windowed.push(exported);
    }
    for (const summary of Object.values(metrics.corralSummaries)) {
      // corral's own durations in Prometheus's base unit (observed in ms).
      this.exportSummary(summary, `corral_${summary.name}_seconds`, 1 / 1000, [0.5, 0.9, 0.99]);
    }
    for (const name of quotaGaugeNames) {
      this.gaugeSets.set(name, new prom.Gauge({ name, help: name, labelNames: ['key'],
        registers: [registry] }));
    }
    this.quotaRefusals = new prom.Counter({ name: 'quota_exceeded_error_per_namespace',
      help: 'quota_exceeded_error_per_namespace', labelNames: ['key'], registers: [registry] });
    this.machineState = new prom.Gauge({
      name: 'corral_machine_state',
      help: "Each machine's states: 1 for the one it is in, 0 for those it has left",
      labelNames: ['machine', 'state'],
      registers: [registry],
    });
    this.machineTransitions = new prom.Counter({
      name: 'corral_machine_transitions_total',
      help: 'Entries into each state of each machine',
      labelNames: ['machine', 'state'],
      registers: [registry],
    });
    this.machineInstances = new prom.Gauge({
      name: 'corral_machine_instances',
      help: 'Machines of which there are many (one per session), counted by top-level state',
      labelNames: ['machine', 'state'],
      registers: [registry],
    });
    this.peerQueueBytes = new prom.Gauge({
      name: 'corral_peer_queue_bytes',
      help: "Bytes queued on each peer's link, not yet written to its socket",
      labelNames: ['peer'],
      registers: [registry],
    });
    this.peerSentFrames = new prom.Gauge({
      name: 'corral_peer_sent_frames',
      help: "Frames the replica machine sent on each peer's link (sync streams aside)",
      labelNames: ['peer'],
      registers: [registry],
    });
    this.peerSentBytes = new prom.Gauge({
      name: 'corral_peer_sent_bytes',
      help: "Bytes of the frames the replica machine sent on each peer's link",
      labelNames: ['peer'],
      registers: [registry],
    });
    this.strangerFrames = new prom.Counter({
      name: 'corral_peer_stranger_frames_dropped_total',
      help: 'Frames a replica received from ids outside its configuration and dropped',
      registers: [registry],
    });
    this.eventLoopDelay = new prom.Gauge({
      name: 'corral_event_loop_delay_seconds',
      help: 'Event-loop delay quantiles since the previous scrape (perf_hooks)',
      labelNames: ['quantile'],
      registers: [registry],
    });
    this.eventLoopDelayMax = new prom.Gauge({
      name: 'corral_event_loop_delay_max_seconds',
      help: 'The longest event-loop delay since the previous scrape (perf_hooks)',
      registers: [registry],
    });
    this.refreshSiteSync = registerSiteSyncMetrics(registry, metrics);
    this.rotation = setInterval(() => {
      for (const summary of this.windowed) summary.rotate();
    }, summaryWindowMs);
    this.rotation.unref();
    this.eventLoop = monitorEventLoopDelay({ resolution: eventLoopResolutionMs });
    this.eventLoop.enable();
    if (options.exportProcessInfo) prom.collectDefaultMetrics({ register: registry });
  }

  /** Prometheus's text format, every value as of now (ZooKeeper samples its gauges first). */
  async scrape(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops feeding the summaries and sampling the event loop. */
  close(): void {
    for (const summary of this.summaries) summary.exporter = undefined;
    for (const set of this.summarySets) set.exporter = undefined;
    clearInterval(this.rotation);
    this.eventLoop.disable();
    this.registry.clear();
  }

  private exportSummary(
    summary: SummaryStatistic,
    name: string,
    scale: number,
    percentiles: readonly number[],
  ): void {
    const exported = new WindowedSummary(name, name, percentiles, summary, scale);
    // The registry prints any object with prom-client's get() shape; this one is not its class.
    this.registry.registerMetric(exported as unknown as Metric);
    summary.exporter = (value) => exported.observe(value);
    this.summaries.push(summary);
    this.windowed.push(exported);
  }

  private refresh(): void {
    const { metrics } = this.options;
    const source = this.options.source();
    this.refreshGauges(new Map(monitorValues(source)), gaugesRegisteredEmpty[source.role] ?? []);
    for (const [name, counter] of this.counters) {
      // Counters are kept as plain numbers where they are counted; a counter's value is set
      // here, so the request path pays an addition only.
      const value = name === 'digest_mismatches_count'
        ? source.digestMismatches
        : metrics.counters[name as keyof ServerMetrics['counters']];
      counter.reset();
      counter.inc(value);
    }
    this.refreshSets();
    this.refreshMachines();
    this.refreshSiteSync();
    this.peerQueueBytes.reset();
    this.peerSentFrames.reset();
    this.peerSentBytes.reset();
    for (const { peer, queuedBytes, framesSent, bytesSent } of metrics.peerQueues?.() ?? []) {
      this.peerQueueBytes.set({ peer: String(peer) }, queuedBytes);
      this.peerSentFrames.set({ peer: String(peer) }, framesSent ?? 0);
      this.peerSentBytes.set({ peer: String(peer) }, bytesSent ?? 0);
    }
    this.strangerFrames.reset();
    this.strangerFrames.inc(metrics.strangerFramesDropped?.() ?? 0);
    const loop = this.eventLoop;
    for (const quantile of eventLoopQuantiles) {
      const sampled = loop.count === 0 ? 0 : loop.percentile(quantile * 100);
      this.eventLoopDelay.set({ quantile: String(quantile) }, delaySeconds(sampled));
    }
    this.eventLoopDelayMax.set(delaySeconds(loop.count === 0 ? 0 : loop.max));
    loop.reset();
  }

  private refreshGauges(values: Map<string, string | number>, empty: readonly string[]): void {
    for (const [name, gauge] of this.gauges) {
      const value = values.get(name) ?? (empty.includes(name) ? 0 : undefined);
      const registered = this.registry.getSingleMetric(name) !== undefined;
      if (typeof value !== 'number') {
        if (registered) this.registry.removeSingleMetric(name);
        continue;
      }
      if (!registered) this.registry.registerMetric(gauge);
      gauge.set(value);
    }
  }

  /** The sets' series by key (a key once seen stays, as simpleclient's children do). */
  private refreshSets(): void {
    const { metrics } = this.options;
    const figures = metrics.quotaFigures?.();
    for (const [name, gauge] of this.gaugeSets) {
      for (const [key, value] of figures?.[name] ?? []) gauge.set({ key }, value);
    }
    this.quotaRefusals.reset();
    for (const [key, count] of metrics.counterSets.quota_exceeded_error_per_namespace) {
      this.quotaRefusals.inc({ key }, count);
    }
  }

  private refreshMachines(): void {
    const { metrics } = this.options;
    this.machineState.reset();
    this.machineTransitions.reset();
    for (const [machine, counts] of metrics.machineTransitions) {
      const current = metrics.machineStates.get(machine);
      for (const [state, count] of counts) {
        this.machineState.set({ machine, state }, state === current ? 1 : 0);
        this.machineTransitions.inc({ machine, state }, count);
      }
    }
    this.machineInstances.reset();
    for (const [state, count] of this.options.sessionStates?.() ?? []) {
      this.machineInstances.set({ machine: 'session', state }, count);
    }
  }
}
