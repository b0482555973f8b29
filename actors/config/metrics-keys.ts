// ZooKeeper's metricsProvider.* keys: which provider serves the metrics, and where the Prometheus
// one listens. corral honours ZooKeeper's Prometheus provider (actors/operations/metrics-*.ts) and
// its default one (mntr and the admin server only); any other class names code corral cannot run,
// so it stops startup naming the key.
import {
  parseInteger,
  ValueProblem,
  valueParsers,
  type ValueParser,
} from '../../protocol/config/values.js';

export const prometheusProviderClass =
  'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';
export const defaultProviderClass = 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider';

export type MetricsProvider = 'default' | 'prometheus';

export interface MetricsConfig {
  /** metricsProvider.className: `prometheus` serves GET /metrics (metrics-server.ts). */
  metricsProvider: MetricsProvider;
  /** metricsProvider.httpHost: where /metrics listens (ZooKeeper's default, every interface). */
  metricsHttpHost: string;
  /** metricsProvider.httpPort. */
  metricsHttpPort: number;
  /** metricsProvider.exportJvmInfo: export the process's own metrics too (Node's, as there is
   * no JVM: prom-client's default metrics in place of the JVM's). */
  metricsExportProcessInfo: boolean;
  /** leader.ackLoggingFrequency (ZooKeeper's system property zookeeper.leader.
   * ackLoggingFrequency): the leader observes ack_latency for zxids that are multiples of it;
   * 0 or less, never. */
  ackLoggingFrequency: number;
}

/** PrometheusMetricsProvider's defaults (ZooKeeper 3.8). */
export const metricsConfigDefaults = {
  metricsProvider: 'default',
  metricsHttpHost: '0.0.0.0',
  metricsHttpPort: 7000,
  metricsExportProcessInfo: true,
  ackLoggingFrequency: 1000,
} as const satisfies MetricsConfig;

/** A class name, compared exactly as Java's class loader does. */
const providerParser: ValueParser = (value) => {
  const name = value.trim();
  if (name === prometheusProviderClass) return 'prometheus';
  if (name === defaultProviderClass) return 'default';
  throw new ValueProblem(`corral provides only ${prometheusProviderClass} (and ` +
    `${defaultProviderClass}, mntr and the admin server alone)`);
};

export const metricsKeyRules = {
  'metricsProvider.className': {
    field: 'metricsProvider',
    parse: providerParser,
    format: (value: unknown) => (value === 'prometheus' ? prometheusProviderClass
      : defaultProviderClass),
  },
  'metricsProvider.httpHost': { field: 'metricsHttpHost', parse: valueParsers.text },
  'metricsProvider.httpPort': { field: 'metricsHttpPort', parse: valueParsers.port },
  'metricsProvider.exportJvmInfo': {
    field: 'metricsExportProcessInfo',
    parse: valueParsers.boolean,
  },
  'leader.ackLoggingFrequency': {
    field: 'ackLoggingFrequency',
    parse: (value: string) => parseInteger(value.trim(), -(2 ** 31), 'expected an integer'),
  },
} as const satisfies Record<string, {
  field: keyof MetricsConfig;
  parse: ValueParser;
  format?: (value: unknown) => string;
}>;
