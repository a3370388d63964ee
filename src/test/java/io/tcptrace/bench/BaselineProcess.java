package io.tcptrace.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** bench/baseline_hec.py, the original design, as a child process. */
final class BaselineProcess implements AutoCloseable {
    private static final Pattern SUMMARY =
            Pattern.compile("events_read=(\\d+) posted=(\\d+) post_errors=(\\d+) lost=(\\d+)");

    record Summary(long read, long posted, long postErrors, long lost) {
    }

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final long spawned = System.nanoTime();
    private volatile long readyAt;

    private BaselineProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                    if (line.contains("ready")) {
                        readyAt = System.nanoTime();
                        ready.complete(null);
                    }
                }
            } catch (Exception ignored) {
                // ended
            }
            ready.complete(null);
        }, "baseline-output");
        reader.setDaemon(true);
        reader.start();
    }

    static BaselineProcess start(Path script, int port, String hecUrl, String token) throws Exception {
        // The distribution's python3: BCC's bindings (python3-bpfcc) live there, not in other Pythons on PATH.
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), "--dport",
                Integer.toString(port));
        headerTree().ifPresent(dir -> pb.environment().putIfAbsent("BCC_KERNEL_SOURCE", dir.toString()));
        pb.environment().put("SPLUNK_HEC_URL", hecUrl);
        pb.environment().put("SPLUNK_HEC_TOKEN", token);
        pb.redirectErrorStream(true);
        BaselineProcess b = new BaselineProcess(pb.start());
        b.ready.get(120, TimeUnit.SECONDS);
        if (!b.process.isAlive()) {
            throw new IllegalStateException("baseline exited: " + String.join("\n", b.output));
        }
        return b;
    }

    /**
     * The kernel header tree the tracer merges (BCC needs one too when the running kernel has none),
     * merged here first if no tracer has yet, as on a machine where only the tests ran (their
     * cache is elsewhere).
     */
    private static java.util.Optional<Path> headerTree() throws java.io.IOException {
        Path cacheDir = Path.of(System.getenv().getOrDefault("TCPTRACE_CACHE_DIR", "/var/cache/tcptrace"));
        io.tcptrace.kernel.KernelHeaders.prepare(cacheDir);
        Path cache = cacheDir.resolve("kernel-headers");
        if (!java.nio.file.Files.isDirectory(cache)) {
            return java.util.Optional.empty();
        }
        try (var dirs = java.nio.file.Files.list(cache)) {
            return dirs.filter(java.nio.file.Files::isDirectory).sorted().reduce((a, b) -> b);
        }
    }

    double secondsToReady() {
        return (readyAt - spawned) / 1e9;
    }

    /** SIGTERM, then its one summary line. */
    Summary stop() throws Exception {
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        Thread.sleep(200);
        for (String line : output) {
            Matcher m = SUMMARY.matcher(line);
            if (m.find()) {
                return new Summary(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                        Long.parseLong(m.group(4)));
            }
        }
        throw new IllegalStateException("no summary from the baseline:\n" + String.join("\n", output));
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
