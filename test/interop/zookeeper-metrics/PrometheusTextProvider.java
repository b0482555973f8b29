// A stand-in, for corral's tests, for ZooKeeper 3.8's PrometheusMetricsProvider, whose jar (and
// the simpleclient jars it needs) Debian does not package and this machine cannot download. The
// metrics are the real ZooKeeper's: its own code registers every one through this SPI
// (ServerMetrics, ZooKeeperServer.registerMetrics, ...). This class only serves them as that
// provider does: GET /metrics on metricsProvider.httpHost:httpPort in Prometheus's text format,
// each name's help text being the name, Counter -> counter (simpleclient 0.9.0: no _total),
// Summary -> summary (quantile 0.5 when BASIC; 0.5, 0.9, 0.99 when ADVANCED) with _count and
// _sum, Gauge -> gauge sampled at each scrape (0 for null), and the sets -> the same types with
// the label `key`. Quantiles come from the latest observations, not simpleclient's CKMS window:
// the tests compare names, types and labels, never quantile values. exportJvmInfo's collectors
// (simpleclient_hotspot's jvm_* and process_*) are not ZooKeeper's metrics and are left out, and
// httpHost defaults to loopback here. Compiled by the test (metrics-zookeeper-scrape.test.ts)
// against /usr/share/java/zookeeper.jar.
package corral.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.apache.zookeeper.metrics.Counter;
import org.apache.zookeeper.metrics.CounterSet;
import org.apache.zookeeper.metrics.Gauge;
import org.apache.zookeeper.metrics.GaugeSet;
import org.apache.zookeeper.metrics.MetricsContext;
import org.apache.zookeeper.metrics.MetricsProvider;
import org.apache.zookeeper.metrics.MetricsProviderLifeCycleException;
import org.apache.zookeeper.metrics.Summary;
import org.apache.zookeeper.metrics.SummarySet;

public final class PrometheusTextProvider implements MetricsProvider {
    /** The label every set's series carries (the provider's LABEL). */
    private static final String KEY = "key";
    private static final double[] BASIC = {0.5};
    private static final double[] ADVANCED = {0.5, 0.9, 0.99};
    /** How many of the latest observations a summary keeps for its quantiles. */
    private static final int RECENT_MAX = 1024;

    private String host = "127.0.0.1";
    private int port = 7000;
    private HttpServer server;
    private final Families families = new Families();

    @Override
    public void configure(Properties configuration) {
        host = configuration.getProperty("httpHost", host);
        port = Integer.parseInt(configuration.getProperty("httpPort", String.valueOf(port)));
    }

    @Override
    public void start() throws MetricsProviderLifeCycleException {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException error) {
            throw new MetricsProviderLifeCycleException(error);
        }
        server.createContext("/metrics", this::answer);
        server.start();
    }

    @Override
    public MetricsContext getRootContext() {
        return families;
    }

    @Override
    public void stop() {
        if (server != null) server.stop(0);
        server = null;
    }

    /** mntr's extra lines: each sample keyed as name{labels}, as the real provider's dump. */
    @Override
    public void dump(BiConsumer<String, Object> sink) {
        for (Family family : families.all()) {
            for (Sample sample : family.samples()) sink.accept(sample.key(), sample.value);
        }
    }

    @Override
    public void resetAllValues() {
        // The Prometheus provider does not support it either.
    }

    private void answer(HttpExchange exchange) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Family family : families.all()) {
            text.append("# HELP ").append(family.name).append(' ').append(family.name).append('\n');
            text.append("# TYPE ").append(family.name).append(' ').append(family.type).append('\n');
            for (Sample sample : family.samples()) {
                text.append(sample.key()).append(' ').append(format(sample.value)).append('\n');
            }
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders()
            .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String format(double value) {
        if (Double.isNaN(value)) return "NaN";
        if (Double.isInfinite(value)) return value > 0 ? "+Inf" : "-Inf";
        return Double.toString(value);
    }

    /** One line of the text format. */
    private static final class Sample {
        final String name;
        final List<String> labels;
        final double value;

        Sample(String name, List<String> labels, double value) {
            this.name = name;
            this.labels = labels;
            this.value = value;
        }

        String key() {
            if (labels.isEmpty()) return name;
            StringBuilder key = new StringBuilder(name).append('{');
            for (int index = 0; index < labels.size(); index += 2) {
                key.append(labels.get(index)).append("=\"").append(escape(labels.get(index + 1)))
                    .append("\",");
            }
            return key.append('}').toString();
        }

        private static String escape(String value) {
            return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        }
    }

    /** A metric family: its name, Prometheus type and current samples. */
    private abstract static class Family {
        final String name;
        final String type;

        Family(String name, String type) {
            this.name = name;
            this.type = type;
        }

        abstract List<Sample> samples();
    }

    private static final class CounterFamily extends Family implements Counter, CounterSet {
        private final boolean labelled;
        private final LongAdder total = new LongAdder();
        private final Map<String, LongAdder> byKey = new ConcurrentSkipListMap<>();

        CounterFamily(String name, boolean labelled) {
            super(name, "counter");
            this.labelled = labelled;
        }

        @Override
        public void add(long delta) {
            if (delta >= 0) total.add(delta);
        }

        @Override
        public long get() {
            return total.sum();
        }

        @Override
        public void add(String key, long delta) {
            if (delta >= 0) byKey.computeIfAbsent(key, (each) -> new LongAdder()).add(delta);
        }

        @Override
        List<Sample> samples() {
            List<Sample> samples = new ArrayList<>();
            if (!labelled) samples.add(new Sample(name, List.of(), total.sum()));
            byKey.forEach((key, count) ->
                samples.add(new Sample(name, List.of(KEY, key), count.sum())));
            return samples;
        }
    }

    private static final class GaugeFamily extends Family {
        private final Gauge gauge;
        private final GaugeSet gaugeSet;
        /** A gauge set's keys stay once seen, as simpleclient's children do. */
        private final Map<String, Double> lastByKey = new ConcurrentSkipListMap<>();

        GaugeFamily(String name, Gauge gauge, GaugeSet gaugeSet) {
            super(name, "gauge");
            this.gauge = gauge;
            this.gaugeSet = gaugeSet;
        }

        private static double valueOf(Number number) {
            return number == null ? 0 : number.doubleValue();
        }

        @Override
        List<Sample> samples() {
            if (gauge != null) return List.of(new Sample(name, List.of(), valueOf(gauge.get())));
            Map<String, Number> values = gaugeSet.values();
            if (values != null) values.forEach((key, value) -> lastByKey.put(key, valueOf(value)));
            List<Sample> samples = new ArrayList<>();
            lastByKey.forEach((key, value) ->
                samples.add(new Sample(name, List.of(KEY, key), value)));
            return samples;
        }
    }

    /** count, sum and the latest observations of one summary series. */
    private static final class Series {
        private long count;
        private double sum;
        private final long[] recent = new long[RECENT_MAX];

        synchronized void observe(long value) {
            recent[(int) (count % RECENT_MAX)] = value;
            count++;
            sum += value;
        }

        synchronized void appendTo(List<Sample> samples, String name, List<String> labels,
                double[] quantiles) {
            long[] sorted = Arrays.copyOf(recent, (int) Math.min(count, RECENT_MAX));
            Arrays.sort(sorted);
            for (double quantile : quantiles) {
                List<String> withQuantile = new ArrayList<>(labels);
                withQuantile.add("quantile");
                withQuantile.add(Double.toString(quantile));
                int rank = (int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length));
                double value = sorted.length == 0 ? Double.NaN : sorted[rank];
                samples.add(new Sample(name, withQuantile, value));
            }
            samples.add(new Sample(name + "_count", labels, count));
            samples.add(new Sample(name + "_sum", labels, sum));
        }
    }

    private static final class SummaryFamily extends Family implements Summary, SummarySet {
        final MetricsContext.DetailLevel detail;
        private final boolean labelled;
        private final Series unlabelled = new Series();
        private final Map<String, Series> byKey = new ConcurrentSkipListMap<>();

        SummaryFamily(String name, MetricsContext.DetailLevel detail, boolean labelled) {
            super(name, "summary");
            this.detail = detail;
            this.labelled = labelled;
        }

        @Override
        public void add(long value) {
            unlabelled.observe(value);
        }

        @Override
        public void add(String key, long value) {
            byKey.computeIfAbsent(key, (each) -> new Series()).observe(value);
        }

        @Override
        List<Sample> samples() {
            double[] quantiles = detail == MetricsContext.DetailLevel.ADVANCED ? ADVANCED : BASIC;
            List<Sample> samples = new ArrayList<>();
            if (!labelled) unlabelled.appendTo(samples, name, List.of(), quantiles);
            byKey.forEach((key, series) ->
                series.appendTo(samples, name, List.of(KEY, key), quantiles));
            return samples;
        }
    }

    /** The root context (ZooKeeper 3.8 has no hierarchy): every family by name. */
    private static final class Families implements MetricsContext {
        private final Map<String, Family> byName = new ConcurrentHashMap<>();

        List<Family> all() {
            return new ArrayList<>(new TreeMap<>(byName).values());
        }

        @Override
        public MetricsContext getContext(String name) {
            return this;
        }

        @Override
        public Counter getCounter(String name) {
            return (CounterFamily) byName.computeIfAbsent(name,
                (each) -> new CounterFamily(each, false));
        }

        @Override
        public CounterSet getCounterSet(String name) {
            return (CounterFamily) byName.computeIfAbsent(name,
                (each) -> new CounterFamily(each, true));
        }

        @Override
        public void registerGauge(String name, Gauge gauge) {
            byName.put(name, new GaugeFamily(name, gauge, null));
        }

        @Override
        public void unregisterGauge(String name) {
            byName.remove(name);
        }

        @Override
        public void registerGaugeSet(String name, GaugeSet gaugeSet) {
            byName.put(name, new GaugeFamily(name, null, gaugeSet));
        }

        @Override
        public void unregisterGaugeSet(String name) {
            byName.remove(name);
        }

        @Override
        public Summary getSummary(String name, DetailLevel detail) {
            return summary(name, detail, false);
        }

        @Override
        public SummarySet getSummarySet(String name, DetailLevel detail) {
            return summary(name, detail, true);
        }

        /** A name registered again at another detail level is refused, as by the provider. */
        private SummaryFamily summary(String name, DetailLevel detail, boolean labelled) {
            SummaryFamily family = (SummaryFamily) byName.computeIfAbsent(name,
                (each) -> new SummaryFamily(each, detail, labelled));
            if (family.detail != detail) {
                throw new IllegalArgumentException(
                    "summary " + name + " registered as " + family.detail);
            }
            return family;
        }
    }
}
