package io.tcptrace.bench;

import io.tcptrace.app.Metrics;
import io.tcptrace.app.TracerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The packaged tracer as {@code ./tcptrace run} starts it, file sink (and Splunk, if asked), at a given nice level. */
final class TcptraceUnderTest implements TracerUnderTest {
    private final String name;
    private final TracerProcess process;
    private final Path dir;
    private long lostAtStop = -1;

    private TcptraceUnderTest(String name, TracerProcess process, Path dir) {
        this.name = name;
        this.process = process;
        this.dir = dir;
    }

    static TcptraceUnderTest start(String name, int nice, boolean splunk, Path jar, List<String> jvmOptions, Path dir)
            throws Exception {
        return start(name, nice, splunk, jar, jvmOptions, dir, Map.of());
    }

    /** As above, with more environment (settings) for the tracer. */
    static TcptraceUnderTest start(String name, int nice, boolean splunk, Path jar, List<String> jvmOptions, Path dir,
            Map<String, String> settings) throws Exception {
        Files.createDirectories(dir);
        List<String> prefix = nice == 0 ? List.of() : List.of("nice", "-n", Integer.toString(nice));
        // Its own directory: the file rotates at 100 MB, and records() counts the rotated files too.
        Map<String, String> env = new HashMap<>(Map.of("TCPTRACE_SINKS", "file",
                "TCPTRACE_FILE", dir.resolve("events.jsonl").toString()));
        if (splunk) {
            env.putAll(Map.of("TCPTRACE_SINKS", "file,splunk", "SPLUNK_HEC_URL", BenchHec.url(),
                    "SPLUNK_HEC_TOKEN", BenchHec.TOKEN, "SPLUNK_SPOOL_DIR", dir.resolveSibling(name + "-spool").toString()));
        }
        env.putAll(settings);
        return new TcptraceUnderTest(name, TracerProcess.startJar(prefix, jar, jvmOptions, env), dir);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public long lost() throws Exception {
        if (lostAtStop >= 0) {
            return lostAtStop;
        }
        String text = Metrics.get(process, "/observe/metrics").body();
        return (long) (Metrics.value(text, "tcptrace_kernel_events_lost_total{reason=\"buffer_full\"}").orElse(0.0)
                + Metrics.value(text, "tcptrace_kernel_events_lost_total{reason=\"pending_map_full\"}").orElse(0.0));
    }

    @Override
    public void stop() throws Exception {
        lostAtStop = lost();
        process.sigterm();
        process.log().stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                .filter(l -> !l.contains("KernelHeaders")).limit(20).forEach(System.err::println);
    }

    /** JSON lines of every event type: connect, accept and close of one connection all carry the accepting port. */
    @Override
    public long records(int port) throws IOException {
        String needle = "\"dest_port\":" + port + ",";
        long n = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                try (var lines = Files.lines(f)) {
                    n += lines.filter(l -> l.contains(needle)).count();
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        try {
            process.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
