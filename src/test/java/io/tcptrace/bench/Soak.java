package io.tcptrace.bench;

import io.tcptrace.app.Metrics;
import io.tcptrace.app.TracerProcess;
import io.tcptrace.bench.LoadGenerator.Workload;
import io.tcptrace.kafka.KafkaBroker;
import io.tcptrace.splunk.StrictHecServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code soak}: one tracer, as completeness starts it (sinks file, Splunk HEC and Kafka, the
 * launcher's JVM options), under a paced load for a long time (default 60 minutes at 10,000
 * refused connects/s, one connect-burst run). Once a minute, and once right after ready, one
 * row: VmRSS, VmHWM, heap and metaspace (jcmd GC.heap_info), CPU so far, events in the file,
 * delivered counts of the Splunk and Kafka sinks, kernel lost. At the end: everything counted
 * against the connects, jcmd GC.class_histogram (top 15) and, with bench.soak-nmt=true (NMT
 * costs, so off by default), VM.native_memory summary.
 */
final class Soak {
    private static final String TOKEN = "0e7d6c5b-4a39-4281-9f0e-1d2c3b4a5f60";
    private static final String JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");
    private static final Pattern METASPACE = Pattern.compile("Metaspace\\s+used (\\d+)K, committed (\\d+)K");

    record Settings(long rate, int minutes, boolean nmt) {
        static Settings fromSystemProperties() {
            long rate = Long.getLong("bench.soak-rate", 10_000);
            int minutes = Integer.getInteger("bench.soak-minutes", 60);
            if (rate <= 0 || minutes <= 0) {
                throw new IllegalArgumentException("bench.soak-rate and bench.soak-minutes must be above 0");
            }
            return new Settings(rate, minutes, Boolean.getBoolean("bench.soak-nmt"));
        }
    }

    /** Heap used and committed (all generations) and metaspace used, MB; null when jcmd did not answer. */
    record Heap(double usedMb, double committedMb, double metaspaceMb) {
    }

    /** One row: minute ("0" right after ready, "end" after the drain). */
    record Row(String minute, double rssMb, double hwmMb, Heap heap, double cpuSeconds, long fileEvents,
            double splunkDelivered, double kafkaDelivered, long lost) {
        String markdown() {
            return String.format("| %s | %.0f | %.0f | %s | %s | %.1f | %,d | %,.0f | %,.0f | %d |", minute, rssMb, hwmMb,
                    heap == null ? "-" : String.format("%.0f / %.0f", heap.usedMb(), heap.committedMb()),
                    heap == null ? "-" : String.format("%.0f", heap.metaspaceMb()), cpuSeconds, fileEvents,
                    splunkDelivered, kafkaDelivered, lost);
        }
    }

    static final String TABLE_HEAD = "| minute | VmRSS MB | VmHWM MB | heap used / committed MB | metaspace MB |"
            + " CPU s | file events (load's port) | Splunk delivered | Kafka delivered | kernel lost |\n"
            + "|---|---|---|---|---|---|---|---|---|---|\n";

    private final Settings s;
    private final Benchmark.Settings bench;
    private final LoadGenerator load;
    private final Path work;
    private final List<Row> rows = new ArrayList<>();
    private final AtomicLong hecPort = new AtomicLong();
    private final AtomicLong hecAll = new AtomicLong();
    private final StringBuilder end = new StringBuilder();
    private final List<String> jvmOptions;
    private Instant started;
    private volatile int port;

    Soak(Settings s, Benchmark.Settings bench, LoadGenerator load, Path work) {
        this.s = s;
        this.bench = bench;
        this.load = load;
        this.work = work;
        List<String> opts = new ArrayList<>(bench.jvmOptions());
        if (s.nmt()) {
            opts.add("-XX:NativeMemoryTracking=summary");
        }
        this.jvmOptions = List.copyOf(opts);
    }

    /** Runs the soak and returns its section; {@code progress} gets the section as it stands after each row. */
    String run(Consumer<String> progress) throws Exception {
        started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        port = Ports.free();
        Path dir = work.resolve("soak");
        Files.createDirectories(dir);
        Path file = dir.resolve("events.jsonl");
        // Up to 25 GB an hour at 10,000/s: the broker keeps at most 1 GiB per partition (the end
        // offsets still count every record), and rotated files are deleted once counted.
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start();
                KafkaBroker kafka = new KafkaBroker(Map.of("log.retention.bytes", String.valueOf(1L << 30),
                        "log.segment.bytes", String.valueOf(128L << 20), "log.retention.check.interval.ms", "60000"))) {
            String needle = "\"dest_port\":" + port + ",";
            hec.setIndexListener(envelope -> {
                hecAll.incrementAndGet();
                var event = envelope.path("event");
                if (event.path("dest_port").asInt() == port) {
                    hecPort.incrementAndGet();
                }
            });
            kafka.start();
            String topic = "soak";
            kafka.createTopic(topic, 3);
            Map<String, String> env = new HashMap<>(Map.of("TCPTRACE_SINKS", "file,splunk,kafka",
                    "TCPTRACE_FILE", file.toString(), "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", work.resolve("soak-spool-splunk").toString(),
                    "KAFKA_BROKERS", kafka.bootstrapServers(), "KAFKA_TOPIC", topic,
                    "KAFKA_SPOOL_DIR", work.resolve("soak-spool-kafka").toString()));
            FileTally tally = new FileTally(dir, needle, !Boolean.getBoolean("bench.keep"));
            Workload w = Workload.paced(s.rate(), s.minutes() * 60);
            System.out.printf("bench: soak, %s for %d min, sinks file, splunk, kafka%n", w.describe(), s.minutes());
            try (TracerProcess tracer = TracerProcess.startJar(bench.prefix(), bench.jar(), jvmOptions, env)) {
                long pid = tracer.pid();
                System.out.printf("bench: soak tracer pid %d ready after %.2f s%n%s", pid, tracer.secondsToReady(),
                        TABLE_HEAD);
                row("0", tracer, tally, hec, progress);
                long loadStart = System.nanoTime();
                CompletableFuture<LoadGenerator.Result> paced = CompletableFuture.supplyAsync(() -> {
                    try {
                        return load.run(port, w);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                for (int m = 1; m <= s.minutes(); m++) {
                    long due = loadStart + m * 60_000_000_000L;
                    while (System.nanoTime() < due) {
                        Thread.sleep(Math.min(1000, Math.max(1, (due - System.nanoTime()) / 1_000_000)));
                    }
                    row(Integer.toString(m), tracer, tally, hec, progress);
                }
                LoadGenerator.Result result;
                try {
                    result = paced.get(10, TimeUnit.MINUTES);
                } catch (Exception e) {
                    end.append("- the load generator failed: ").append(e).append('\n');
                    result = null;
                }
                long connects = result == null ? s.rate() * s.minutes() * 60L : result.connects();
                double drain = drain(tracer, tally, connects);
                row("end", tracer, tally, hec, progress);
                double lost = lost(tracer);
                String histogram = jcmd(pid, "GC.class_histogram");
                String nmt = s.nmt() ? jcmd(pid, "VM.native_memory", "summary") : null;
                int exit;
                try {
                    exit = tracer.sigterm();
                } catch (AssertionError e) {
                    exit = Integer.MIN_VALUE;
                    end.append("- the tracer did not stop within 60 s of SIGTERM\n");
                }
                tracer.log().stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                        .filter(l -> !l.contains("KernelHeaders")).limit(20).forEach(System.err::println);
                tally.update();
                long topicRecords = topicRecords(kafka, topic);
                summary(result, connects, drain, tally, lost, topicRecords, exit, tracer.eventsReadAtStop());
                end.append("\nGC.class_histogram, top 15 (after the drain, before SIGTERM; the histogram runs a full"
                        + " GC):\n\n```\n")
                        .append(top(histogram, 15)).append("```\n\n");
                if (nmt != null) {
                    end.append("VM.native_memory summary (after the drain):\n\n```\n")
                            .append(nmt.replaceFirst("^\\d+:\\s*", "").strip()).append("\n```\n");
                } else {
                    end.append("Native memory tracking off (`-Dbench.soak-nmt=true` turns it on in the tracer's JVM).\n");
                }
            }
        }
        return render();
    }

    private void row(String minute, TracerProcess tracer, FileTally tally, StrictHecServer hec, Consumer<String> progress)
            throws Exception {
        long pid = tracer.pid();
        double rss = ProcStat.rssKb(pid) / 1024.0;
        double hwm = ProcStat.hwmKb(pid) / 1024.0;
        double cpu = ProcStat.cpuMicros(pid) / 1e6;
        Heap heap = heap(pid);
        String text = Metrics.get(tracer, "/observe/metrics").body();
        tally.update();
        hec.clearRecorded(); // the server keeps a record of every request: a soak sends tens of thousands
        Row r = new Row(minute, rss, hwm, heap, cpu, tally.port(),
                Metrics.value(text, "tcptrace_sink_delivered_total{sink=\"splunk\"}").orElse(0.0),
                Metrics.value(text, "tcptrace_sink_delivered_total{sink=\"kafka\"}").orElse(0.0), (long) lost(text));
        rows.add(r);
        System.out.println(r.markdown());
        progress.accept(render());
    }

    /** After the load: until the file, HEC and Kafka have all of it, or nothing moved for 20 s. */
    private double drain(TracerProcess tracer, FileTally tally, long connects) throws Exception {
        long start = System.nanoTime();
        long lastProgress = start;
        double lastSum = -1;
        while (System.nanoTime() - lastProgress < 20_000_000_000L) {
            tally.update();
            double kafka = metric(tracer, "tcptrace_sink_delivered_total{sink=\"kafka\"}");
            if (tally.port() >= connects && hecPort.get() >= connects && kafka >= tally.all()) {
                break;
            }
            double sum = tally.all() + hecAll.get() + kafka;
            if (sum != lastSum) {
                lastSum = sum;
                lastProgress = System.nanoTime();
            }
            Thread.sleep(500);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private void summary(LoadGenerator.Result r, long connects, double drain, FileTally tally, double lost,
            long topicRecords, int exit, long readAtStop) {
        long others = tally.all() - tally.port();
        end.append(String.format("- load: %s%n", r == null ? "no report from connect-burst"
                : String.format("%,d connects in %.1f s, %,d/s achieved, slowest second %,d/s, at worst %.1f ms behind"
                        + " the schedule, %,d failed", r.connects(), r.seconds(), r.rate(), r.minSecondRate(),
                        r.maxBehindMs(), r.failed())));
        end.append(String.format("- drained %.1f s after the load's end; the tracer %s%s%n", drain,
                exit == Integer.MIN_VALUE ? "did not stop"
                        : "exited with " + exit + " after SIGTERM" + (exit == 143 ? " (128 + 15: the JVM's usual)" : ""),
                readAtStop >= 0 ? String.format(" (its log: %,d events read from the kernel)", readAtStop) : ""));
        end.append(String.format("- file: %,d records of the load's port (connects %+,d); %,d other records (the host's"
                + " other connections: the benchmark's metrics requests, the broker's, update events)%n",
                tally.port(), tally.port() - connects, others));
        end.append(String.format("- HEC: %,d of the load's port (connects %+,d); %,d in all (file %+,d; Splunk also"
                + " gets the tracer's stats events)%n", hecPort.get(),
                hecPort.get() - connects, hecAll.get(), hecAll.get() - tally.all()));
        end.append(String.format("- Kafka: %,d records in the topic (end offsets; file %+,d), delivered counter"
                + " at the end row %s (file %s)%n", topicRecords, topicRecords - tally.all(), kafkaDelivered() < 0 ? "?"
                        : String.format("%,.0f", kafkaDelivered()),
                kafkaDelivered() < 0 ? "?" : String.format("%+,.0f", kafkaDelivered() - tally.all())));
        end.append(String.format("- kernel lost (buffer_full + pending_map_full): %.0f%n", lost));
        boolean complete = tally.port() == connects && hecPort.get() == connects && topicRecords == tally.all()
                && lost == 0;
        end.append(complete ? "- nothing lost\n" : "- NOT COMPLETE: see the differences above\n");
    }

    private double kafkaDelivered() {
        return rows.isEmpty() ? -1 : rows.get(rows.size() - 1).kafkaDelivered();
    }

    String render() {
        StringBuilder out = new StringBuilder("## Soak\n\n");
        out.append(String.format("- %,d refused connects/s paced for %d min (one connect-burst run), tracer started as"
                + " completeness starts it: sinks file + Splunk HEC (the strict HEC server of the tests) + Kafka"
                + " (KRaft broker in a child JVM, topic of 3 partitions), JVM options %s%s%n", s.rate(), s.minutes(),
                String.join(" ", jvmOptions),
                bench.prefix().isEmpty() ? "" : ", behind `" + String.join(" ", bench.prefix()) + "`"));
        out.append(String.format("- started %s; one row right after ready (0), one a minute during the load, one after"
                + " the drain (end). Heap and metaspace from `jcmd PID GC.heap_info` (no GC); CPU = utime + stime;"
                + " file events = lines with the load's port; Splunk and Kafka delivered = the tracer's"
                + " `tcptrace_sink_delivered_total` (all its events, the load's and the host's others)%n%n", started));
        out.append(TABLE_HEAD);
        rows.forEach(r -> out.append(r.markdown()).append('\n'));
        out.append('\n');
        Row first = minute(1);
        Row last = minute(s.minutes());
        if (first != null && last != null) {
            int half = s.minutes() / 2;
            Row mid = minute(half);
            out.append(String.format("- RSS growth from minute 1 to minute %d: %+.0f MB (VmHWM %+.0f MB)%n", s.minutes(),
                    last.rssMb() - first.rssMb(), last.hwmMb() - first.hwmMb()));
            if (mid != null && half >= 1 && s.minutes() > half) {
                out.append(String.format("- over the last half (minute %d to %d): %+.2f MB/min%n", half, s.minutes(),
                        (last.rssMb() - mid.rssMb()) / (s.minutes() - half)));
            }
        }
        out.append(end);
        out.append("\nCommand:\n\n```sh\n").append(command()).append("\n```\n");
        return out.toString();
    }

    private Row minute(int m) {
        return rows.stream().filter(r -> r.minute().equals(Integer.toString(m))).findFirst().orElse(null);
    }

    /** The command as given: ./tcptrace bench soak and the -Dbench.* options (not those the script sets). */
    private static String command() {
        StringBuilder cmd = new StringBuilder("./tcptrace bench soak");
        new TreeMap<>(System.getProperties()).forEach((k, v) -> {
            String key = k.toString();
            if (key.startsWith("bench.") && !key.equals("bench.jvm-options") && !key.equals("bench.nice")) {
                cmd.append(" -D").append(key).append('=').append(v);
            }
        });
        return cmd.toString();
    }

    private static double lost(String metrics) {
        return Metrics.value(metrics, "tcptrace_kernel_events_lost_total{reason=\"buffer_full\"}").orElse(0.0)
                + Metrics.value(metrics, "tcptrace_kernel_events_lost_total{reason=\"pending_map_full\"}").orElse(0.0);
    }

    private static double lost(TracerProcess tracer) throws Exception {
        return lost(Metrics.get(tracer, "/observe/metrics").body());
    }

    private static double metric(TracerProcess tracer, String sample) throws Exception {
        return Metrics.value(Metrics.get(tracer, "/observe/metrics").body(), sample).orElse(0.0);
    }

    /** Heap from GC.heap_info: the "total NK, used NK" lines (generations, or G1's heap) and the Metaspace line. */
    static Heap heap(long pid) {
        String out = jcmd(pid, "GC.heap_info");
        return parseHeap(out);
    }

    static Heap parseHeap(String out) {
        long total = 0;
        long used = 0;
        boolean any = false;
        for (String line : out.lines().toList()) {
            Matcher m = HEAP.matcher(line);
            if (m.find() && !line.contains("Metaspace") && !line.contains("class space")) {
                total += Long.parseLong(m.group(1));
                used += Long.parseLong(m.group(2));
                any = true;
            }
        }
        Matcher meta = METASPACE.matcher(out);
        if (!any || !meta.find()) {
            return null;
        }
        return new Heap(used / 1024.0, total / 1024.0, Long.parseLong(meta.group(1)) / 1024.0);
    }

    /** jcmd's output, or an empty string (with a line on stderr) when it fails or takes over 30 s. */
    private static String jcmd(long pid, String... command) {
        List<String> cmd = new ArrayList<>(List.of(JCMD, Long.toString(pid)));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                System.err.println("bench: jcmd " + String.join(" ", command) + " took over 30 s");
                return "";
            }
            String text = new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                System.err.println("bench: jcmd " + String.join(" ", command) + " failed: " + text.strip());
                return "";
            }
            return text;
        } catch (Exception e) {
            System.err.println("bench: jcmd " + String.join(" ", command) + ": " + e);
            return "";
        }
    }

    /** The histogram's header and its first {@code n} classes. */
    private static String top(String histogram, int n) {
        StringBuilder out = new StringBuilder();
        int classes = 0;
        for (String line : histogram.lines().toList()) {
            if (line.matches("\\d+:")) {
                continue; // jcmd's "PID:" line
            }
            boolean entry = line.trim().matches("\\d+:.*");
            if (entry && ++classes > n) {
                break;
            }
            out.append(line).append('\n');
        }
        return out.length() == 0 ? "(jcmd gave nothing)\n" : out.toString();
    }

    private static long topicRecords(KafkaBroker kafka, String topic) {
        Map<String, Object> props = kafka.clientConfig();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            return consumer.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        } catch (RuntimeException e) {
            System.err.println("bench: soak: cannot read the topic's end offsets: " + e);
            return -1;
        }
    }

    /**
     * Counts the lines of the file sink's output as it grows, reading only what is new: per file
     * (by inode, so a rotation's rename keeps its place) the offset after the last whole line.
     * Rotated files, closed before they are renamed, are deleted once read to their end.
     */
    static final class FileTally {
        private final Path dir;
        private final byte[] needle;
        private final boolean deleteRotated;
        private final Map<Object, Long> offsets = new HashMap<>();
        private long port;
        private long all;

        FileTally(Path dir, String needle, boolean deleteRotated) {
            this.dir = dir;
            this.needle = needle.getBytes(StandardCharsets.US_ASCII);
            this.deleteRotated = deleteRotated;
        }

        long port() {
            return port;
        }

        long all() {
            return all;
        }

        synchronized void update() throws IOException {
            List<Path> files;
            try (var list = Files.list(dir)) {
                files = list.filter(Files::isRegularFile).sorted().toList();
            }
            // The rotated ones first: a rotation between two reads moves the lines read as the
            // current file into a rotated one, which the inode keeps in its place.
            for (Path f : files) {
                Object key;
                FileChannel ch;
                try {
                    key = Files.readAttributes(f, BasicFileAttributes.class).fileKey();
                    ch = FileChannel.open(f, StandardOpenOption.READ);
                    if (!key.equals(Files.readAttributes(f, BasicFileAttributes.class).fileKey())) {
                        ch.close();
                        continue; // rotated while being opened: the next update reads it
                    }
                } catch (IOException gone) {
                    continue;
                }
                long offset = offsets.getOrDefault(key, 0L);
                try (ch) {
                    offset = count(ch, offset);
                    boolean rotated = !f.getFileName().toString().equals("events.jsonl");
                    if (rotated && deleteRotated && offset == ch.size()) {
                        Files.delete(f);
                        offsets.remove(key);
                        continue;
                    }
                }
                offsets.put(key, offset);
            }
        }

        /** Counts whole lines from {@code offset}; returns the offset after the last whole line. */
        private long count(FileChannel ch, long offset) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long pos = offset;
            long lineStart = offset;
            byte[] line = new byte[0];
            int lineLen = 0;
            while (true) {
                buf.clear();
                int n = ch.read(buf, pos);
                if (n <= 0) {
                    return lineStart;
                }
                byte[] a = buf.array();
                for (int i = 0; i < n; i++) {
                    byte b = a[i];
                    if (b == '\n') {
                        all++;
                        if (contains(line, lineLen)) {
                            port++;
                        }
                        lineLen = 0;
                        lineStart = pos + i + 1;
                    } else {
                        if (lineLen == line.length) {
                            line = java.util.Arrays.copyOf(line, Math.max(1024, line.length * 2));
                        }
                        line[lineLen++] = b;
                    }
                }
                pos += n;
            }
        }

        private boolean contains(byte[] line, int len) {
            outer:
            for (int i = 0; i + needle.length <= len; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (line[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        }
    }
}
