package io.tcptrace.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.app.Metrics;
import io.tcptrace.app.TracerProcess;
import io.tcptrace.kafka.KafkaBroker;
import io.tcptrace.splunk.StrictHecServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.camel.util.FileUtil;

/**
 * {@code ./tcptrace bench}: completeness, overhead, start-up, memory and latency of the packaged
 * tracer on this machine, and the original design (bench/baseline_hec.py) in the same run. Sinks
 * are real: a file, the strict HEC server of the tests, a Kafka broker in a child JVM. Then
 * tcptrace beside bpftrace and libbpf-tools ({@link Comparisons}). Arguments name the scenarios
 * to run (all by default).
 */
public final class Benchmark {
    private static final String TOKEN = "b3f1c2d4-0a9e-4f7b-8c6d-5e4f3a2b1c0d";

    private final Settings s;
    private final Path work;
    private final LoadGenerator load;
    private final Report report = new Report();
    private final AtomicLong hecCount = new AtomicLong();
    private final List<Double> latencies = new CopyOnWriteArrayList<>();
    private volatile int countedPort;
    private volatile boolean recordLatency;
    private StrictHecServer hec;
    private KafkaBroker kafka;

    /** Scenarios in the order they run; {@code ./tcptrace bench NAME...} or {@code -Dbench.scenarios=a,b} picks some. */
    static final List<String> SCENARIOS = Stream.of(
            Stream.of("completeness", "overhead", "latency", "baseline", "sweep", "names"), Comparisons.SCENARIOS.stream(),
            Stream.of("soak")).flatMap(x -> x).toList();
    /** What runs when none is named: all but {@code soak} (an hour by default). */
    static final List<String> DEFAULT_SCENARIOS = SCENARIOS.stream().filter(x -> !x.equals("soak")).toList();

    record Settings(Set<String> scenarios, Path jar, List<String> prefix, int nice, List<String> jvmOptions, int burst,
            int runs, int pairs, int overheadConnects, int latencyRate, int latencySeconds, int baselineBurst, Path out) {
        static Settings fromSystemProperties(String[] args) {
            String opts = System.getProperty("bench.jvm-options", "").trim();
            String nice = System.getProperty("bench.nice", "0").trim();
            List<String> picked = args.length > 0 ? List.of(args)
                    : Stream.of(System.getProperty("bench.scenarios", String.join(",", DEFAULT_SCENARIOS)).split(","))
                            .map(String::trim).filter(x -> !x.isEmpty()).toList();
            for (String p : picked) {
                if (!SCENARIOS.contains(p)) {
                    throw new IllegalArgumentException("unknown scenario '" + p + "': use " + String.join(", ", SCENARIOS));
                }
            }
            return new Settings(new LinkedHashSet<>(picked), Path.of(System.getProperty("bench.jar", "target/tcptrace.jar")),
                    nice.equals("0") || nice.isEmpty() ? List.of() : List.of("nice", "-n", nice),
                    nice.isEmpty() ? 0 : Integer.parseInt(nice),
                    opts.isEmpty() ? List.of() : List.of(opts.split("\\s+")),
                    Integer.getInteger("bench.burst", 200_000), Integer.getInteger("bench.runs", 3),
                    Integer.getInteger("bench.pairs", 3), Integer.getInteger("bench.overhead-connects", 100_000),
                    Integer.getInteger("bench.latency-rate", 10_000), Integer.getInteger("bench.latency-seconds", 10),
                    Integer.getInteger("bench.baseline-burst", 20_000),
                    Path.of(System.getProperty("bench.out", "target/bench/results.md")));
        }
    }

    private Benchmark(Settings s) throws IOException, InterruptedException {
        this.s = s;
        this.work = Files.createTempDirectory("tcptrace-bench");
        this.load = LoadGenerator.build(Path.of("bench/connect-burst.c"), work.resolve("connect-burst"));
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.fromSystemProperties(args);
            Comparisons.check(Comparisons.Settings.fromSystemProperties(settings.nice()));
            Soak.Settings.fromSystemProperties();
        } catch (IllegalArgumentException e) {
            System.err.println("tcptrace bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        Benchmark b = new Benchmark(settings);
        try {
            b.run();
        } finally {
            b.close();
        }
        System.exit(0); // the Kafka client threads are not daemons
    }

    private void run() throws Exception {
        Set<String> on = s.scenarios();
        System.out.println("bench: scenarios " + String.join(", ", on));
        if (on.contains("completeness") || on.contains("latency") || on.contains("baseline")) {
            hec = StrictHecServer.withTokens(TOKEN).start();
            hec.setIndexListener(this::onIndexed);
        }
        if (on.contains("completeness")) {
            kafka = new KafkaBroker();
            kafka.start();
        }
        Comparisons comparisons = on.stream().anyMatch(Comparisons.SCENARIOS::contains) ? new Comparisons(
                Comparisons.Settings.fromSystemProperties(s.nice()), s.jar(), s.jvmOptions(), load, work) : null;
        report.machine(s);
        StringBuilder text = new StringBuilder(report.header());
        if (on.contains("completeness")) {
            completeness();
            // Only completeness reads Kafka. A broker left idle in its JVM still runs its timers and
            // threads: the later scenarios measured tcptrace's CPU per event 1.5 µs (60%) higher with it.
            kafka.close();
            kafka = null;
        }
        if (on.contains("overhead")) {
            overhead();
        }
        if (on.contains("latency") && s.latencySeconds() > 0) {
            latency();
        }
        if (on.contains("baseline") && s.baselineBurst() > 0) {
            baseline();
        }
        if (on.stream().anyMatch(x -> !Comparisons.SCENARIOS.contains(x) && !List.of("sweep", "names", "soak").contains(x))) {
            text.append(report.render()).append('\n');
        }
        if (on.contains("sweep")) {
            text.append(SweepCost.run(new int[] {0, 500, 5_000, 10_000})).append('\n');
        }
        if (on.contains("names")) {
            text.append(new NamesCost(load, work, s.jar(), s.jvmOptions()).run()).append('\n');
        }
        if (comparisons != null) {
            comparisons.run(on);
            text.append(comparisons.render());
        }
        if (on.contains("soak")) {
            // The section as it stands is written after every row: an hour's run leaves its rows if stopped.
            String before = text.toString();
            Files.createDirectories(s.out().toAbsolutePath().getParent());
            text.append(new Soak(Soak.Settings.fromSystemProperties(), s, load, work).run(section -> {
                try {
                    Files.writeString(s.out(), before + section);
                } catch (IOException e) {
                    System.err.println("bench: cannot write " + s.out() + ": " + e);
                }
            }));
        }
        System.out.println(text);
        Files.createDirectories(s.out().toAbsolutePath().getParent());
        Files.writeString(s.out(), text.toString());
        System.out.println("written to " + s.out());
    }

    private void onIndexed(JsonNode envelope) {
        JsonNode event = envelope.path("event");
        int port = event.has("dest_port") ? event.path("dest_port").asInt() : event.path("dport").asInt(); // baseline
        if (port != countedPort) {
            return;
        }
        hecCount.incrementAndGet();
        if (recordLatency) {
            double eventMillis = envelope.path("time").asDouble() * 1000;
            latencies.add(Instant.now().toEpochMilli() - eventMillis);
        }
    }

    /** A burst of N connects flat out; every event must reach the file, HEC and Kafka, none lost in the kernel. */
    private void completeness() throws Exception {
        for (int r = 1; r <= s.runs(); r++) {
            int port = freePort();
            countedPort = port;
            hecCount.set(0);
            String topic = "bench-" + r;
            kafka.createTopic(topic, 3);
            Path file = work.resolve("run-" + r + ".jsonl");
            Map<String, String> env = new HashMap<>(Map.of("TCPTRACE_SINKS", "file,splunk,kafka",
                    "TCPTRACE_FILE", file.toString(), "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", work.resolve("spool-splunk-" + r).toString(),
                    "KAFKA_BROKERS", kafka.bootstrapServers(), "KAFKA_TOPIC", topic,
                    "KAFKA_SPOOL_DIR", work.resolve("spool-kafka-" + r).toString()));
            try (TracerProcess tracer = TracerProcess.startJar(s.prefix(), s.jar(), s.jvmOptions(), env)) {
                RssSampler rss = new RssSampler(tracer.pid());
                LoadGenerator.Result burst = load.run(port, s.burst(), 0);
                long start = System.nanoTime();
                long fileCount = 0;
                double kafkaDelivered = 0;
                long lastProgress = System.nanoTime();
                long lastSum = -1;
                while (System.nanoTime() - lastProgress < 20_000_000_000L) {
                    fileCount = countLines(file, port);
                    kafkaDelivered = metric(tracer, "tcptrace_sink_delivered_total{sink=\"kafka\"}");
                    long sum = fileCount + hecCount.get() + (long) kafkaDelivered;
                    if (fileCount >= s.burst() && hecCount.get() >= s.burst() && kafkaDelivered >= s.burst()) {
                        break;
                    }
                    if (sum != lastSum) {
                        lastSum = sum;
                        lastProgress = System.nanoTime();
                    }
                    Thread.sleep(200);
                }
                double drainSeconds = (System.nanoTime() - start) / 1e9;
                double peakRss = rss.stop();
                double lost = metric(tracer, "tcptrace_kernel_events_lost_total{reason=\"buffer_full\"}")
                        + metric(tracer, "tcptrace_kernel_events_lost_total{reason=\"pending_map_full\"}");
                tracer.sigterm();
                tracer.log().stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                        .filter(l -> !l.contains("KernelHeaders")).limit(20).forEach(System.err::println);
                long kafkaCount = KafkaCount.count(kafka, topic, port, s.burst());
                report.completeness(r, burst, countLines(file, port), hecCount.get(), kafkaCount, (long) lost,
                        tracer.secondsToReady(), peakRss, drainSeconds);
            }
        }
    }

    /** Connect rate with the tracer (file sink) running versus not, alternating A B A B. */
    private void overhead() throws Exception {
        int port = freePort();
        for (int i = 1; i <= s.pairs(); i++) {
            LoadGenerator.Result untraced = load.run(port, s.overheadConnects(), 0);
            Path file = work.resolve("overhead-" + i + ".jsonl");
            LoadGenerator.Result traced;
            long written;
            double peakRss;
            try (TracerProcess tracer = TracerProcess.startJar(s.prefix(), s.jar(), s.jvmOptions(), Map.of(
                    "TCPTRACE_SINKS", "file", "TCPTRACE_FILE", file.toString()))) {
                // The tracer runs for months: measure it warmed up, not while the JIT compiles it
                // (a fixed second after the warm-up was not enough: C2 was still busy on a core).
                load.run(freePort(), s.overheadConnects() / 2, 0);
                Settle.await(tracer.pid(), 60);
                RssSampler rss = new RssSampler(tracer.pid());
                traced = load.run(port, s.overheadConnects(), 0);
                Thread.sleep(1000);
                peakRss = rss.stop();
                tracer.sigterm();
                written = countLines(file, port);
            }
            report.overhead(i, untraced, traced, written, peakRss);
        }
    }

    /** Connect-to-HEC delay at a steady rate into the Splunk sink, default batching. */
    private void latency() throws Exception {
        int port = freePort();
        countedPort = port;
        hecCount.set(0);
        latencies.clear();
        try (TracerProcess tracer = TracerProcess.startJar(s.prefix(), s.jar(), s.jvmOptions(), Map.of("TCPTRACE_SINKS", "splunk",
                "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                "SPLUNK_SPOOL_DIR", work.resolve("spool-latency").toString()))) {
            // Steady state: the first seconds of a fresh JVM (JIT, first HTTP connection) are not it.
            int warmPort = freePort();
            load.run(warmPort, s.latencyRate() * 3L, s.latencyRate());
            Thread.sleep(1000);
            recordLatency = true;
            long n = (long) s.latencyRate() * s.latencySeconds();
            LoadGenerator.Result paced = load.run(port, n, s.latencyRate());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (hecCount.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            recordLatency = false;
            tracer.sigterm();
            report.latency(paced, hecCount.get(), new ArrayList<>(latencies));
        }
    }

    /** The original design: BCC from Python, one synchronous POST per event, same HEC receiver. */
    private void baseline() throws Exception {
        int port = freePort();
        countedPort = port;
        hecCount.set(0);
        try (BaselineProcess py = BaselineProcess.start(Path.of("bench/baseline_hec.py"), port, hec.url(), TOKEN)) {
            LoadGenerator.Result burst = load.run(port, s.baselineBurst(), 0);
            long start = System.nanoTime();
            long last = -1;
            long lastChange = System.nanoTime();
            while (System.nanoTime() - lastChange < 5_000_000_000L && System.nanoTime() - start < 90_000_000_000L) {
                if (hecCount.get() != last) {
                    last = hecCount.get();
                    lastChange = System.nanoTime();
                }
                Thread.sleep(200);
            }
            double seconds = (lastChange - start) / 1e9;
            BaselineProcess.Summary summary = py.stop();
            report.baseline(burst, hecCount.get(), summary, seconds, py.secondsToReady());
        }
    }

    private static double metric(TracerProcess tracer, String sample) throws Exception {
        return Metrics.value(Metrics.get(tracer, "/observe/metrics").body(), sample).orElse(0.0);
    }

    /** Lines for {@code port} in the file and in its rotated files (NAME-YYYY-MM-DD.N.jsonl, beside it). */
    private static long countLines(Path file, int port) throws IOException {
        String name = file.getFileName().toString();
        String rotatedPrefix = name.substring(0, name.length() - ".jsonl".length()) + "-";
        String needle = "\"dest_port\":" + port + ",";
        long count = 0;
        try (var files = Files.list(file.getParent())) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.equals(name) || (n.startsWith(rotatedPrefix) && n.endsWith(".jsonl"))) {
                    try (var lines = Files.lines(f)) {
                        count += lines.filter(l -> l.contains(needle)).count();
                    }
                }
            }
        }
        return count;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void close() throws IOException {
        if (kafka != null) {
            kafka.close();
        }
        if (hec != null) {
            hec.close();
        }
        // The tracers' output files: up to 2 GB a full run. -Dbench.keep=true leaves them for a look.
        if (Boolean.getBoolean("bench.keep")) {
            System.out.println("bench: the tracers' files are in " + work);
        } else {
            FileUtil.removeDir(work.toFile());
        }
    }
}
