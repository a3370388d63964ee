package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.splunk.StrictHecServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application as a separate process, configured only by environment variables. SIGTERM
 * delivers or spools everything read from the kernel; after kill -9 the next start replays
 * what the spool holds.
 */
class GracefulStopTest {
    private static final String TOKEN = "0d9a4c7e-2b1f-4e8a-9c3d-5f6a7b8c9d0e";

    @TempDir
    Path tmp;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void sigtermRightAfterABurstLosesNothing() throws Exception {
        Path out = tmp.resolve("events.jsonl");
        int port = refusedPort();
        try (TracerProcess tracer = TracerProcess.start(Map.of("TCPTRACE_SINKS", "file",
                "TCPTRACE_FILE", out.toString()))) {
            int burst = 2000;
            for (int i = 0; i < burst; i++) {
                connectRefused("127.0.0.1", port);
            }
            tracer.sigterm();
            assertEquals(burst, linesWithPort(List.of(out), port), "events in the file after SIGTERM; log:\n"
                    + tracer.logText());
            assertTrue(tracer.eventsReadAtStop() >= burst, tracer.logText());
            assertTrue(tracer.log().stream().noneMatch(l -> l.contains(" ERROR ")), tracer.logText());
        }
    }

    @Test
    void sigtermMidBurstAccountsForEveryEventInTheSinksAndTheSpool() throws Exception {
        int port = refusedPort();
        Path out = tmp.resolve("events.jsonl");
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start()) {
            hec.setResponseDelay(Duration.ofMillis(500)); // a slow HEC: batches pile up in memory
            TracerProcess tracer = TracerProcess.start(Map.of("TCPTRACE_SINKS", "file,splunk",
                    "TCPTRACE_FILE", out.toString(), "TCPTRACE_DEST_PORTS", Integer.toString(port),
                    "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", tmp.resolve("spool").toString(), "SPLUNK_SHUTDOWN_TIMEOUT_MS", "1000"));
            AtomicBoolean go = new AtomicBoolean(true);
            Thread burst = new Thread(() -> {
                while (go.get()) {
                    try {
                        connectRefused("127.0.0.1", port);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            burst.start();
            Thread.sleep(1500);
            tracer.sigterm(); // mid-burst
            go.set(false);
            burst.join();

            long read = tracer.eventsReadAtStop();
            assertTrue(read > 1000, "events read: " + read + "\n" + tracer.logText());
            assertEquals(read, linesWithPort(List.of(out), port), "file sink");
            List<String> indexed = hec.indexedEvents().stream()
                    .filter(e -> e.path("event").path("dest_port").asInt() == port)
                    .map(e -> e.path("event").path("time").asText() + "/" + e.path("event").path("src_port"))
                    .toList();
            long spooled = linesWithPort(files(tmp.resolve("spool/spool")), port);
            assertEquals(indexed.size(), new HashSet<>(indexed).size(), "nothing indexed twice");
            assertEquals(read, indexed.size() + spooled, "splunk: indexed " + indexed.size() + " + spooled " + spooled + "\n" + tracer.logText());
            assertTrue(spooled > 0, "a slow HEC leaves work for the spool at shutdown");
        }
    }

    @Test
    void afterKillDashNineTheNextStartReplaysTheSpool() throws Exception {
        int port = refusedPort();
        Map<String, String> env;
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start()) {
            env = Map.of("TCPTRACE_SINKS", "splunk", "TCPTRACE_DEST_PORTS", Integer.toString(port),
                    "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", tmp.resolve("spool").toString());
            hec.setDown(true);
            int burst = 500;
            long killed;
            try (TracerProcess tracer = TracerProcess.start(env)) {
                killed = tracer.pid();
                for (int i = 0; i < burst; i++) {
                    connectRefused("127.0.0.1", port);
                }
                Metrics.await(tracer, "tcptrace_sink_spooled_total{sink=\"splunk\"}", burst);
                tracer.kill();
            }
            hec.setUp();
            try (TracerProcess again = TracerProcess.start(env)) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (indexed(hec, port) < burst && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(burst, indexed(hec, port), again.logText());
                assertTrue(again.log().stream().anyMatch(l -> l.contains("spool holds")), again.logText());
                // the unclean stop is named, with the killed run's pid
                assertEquals(1, again.log().stream().filter(l -> l.contains(" WARN ") && l.contains("did not stop cleanly")
                        && l.contains("pid " + killed + ",")).count(), again.logText());
                again.sigterm();
            }
            try (TracerProcess third = TracerProcess.start(env)) {
                third.sigterm();
                assertTrue(third.log().stream().noneMatch(l -> l.contains("did not stop cleanly")),
                        "a clean stop leaves nothing to report: " + third.logText());
            }
        }
    }

    /**
     * kill -9 while a replay's request is at HEC: HEC indexes it anyway, and the next start sends
     * those records again. The duplicates are not silent: the next start says how many records the
     * killed run was sending and counts them in tcptrace_sink_resent_after_stop_total.
     */
    @Test
    void aReplayCutByKillDashNineIsSentAgainAndCounted() throws Exception {
        int port = refusedPort();
        int burst = 300; // one replay batch (splunk.batch-events is larger)
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start()) {
            Map<String, String> env = Map.of("TCPTRACE_SINKS", "splunk", "TCPTRACE_DEST_PORTS", Integer.toString(port),
                    "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", tmp.resolve("spool").toString());
            hec.setDown(true);
            try (TracerProcess tracer = TracerProcess.start(env)) {
                for (int i = 0; i < burst; i++) {
                    connectRefused("127.0.0.1", port);
                }
                Metrics.await(tracer, "tcptrace_sink_spooled_total{sink=\"splunk\"}", burst);
                tracer.sigterm();
            }
            hec.setUp();
            hec.setResponseDelay(Duration.ofSeconds(4)); // the replay's request waits at HEC, which indexes it after
            try (TracerProcess tracer = TracerProcess.start(env)) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (!Files.exists(tmp.resolve("spool/sending")) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertTrue(Files.exists(tmp.resolve("spool/sending")), "no replay started\n" + tracer.logText());
                Thread.sleep(500); // the request is at HEC
                tracer.kill();
            }
            long until = System.nanoTime() + 10_000_000_000L;
            while (indexed(hec, port) < burst && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertEquals(burst, indexed(hec, port), "HEC indexed the request the killed run was waiting for");
            hec.setResponseDelay(Duration.ZERO);
            try (TracerProcess again = TracerProcess.start(env)) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (indexed(hec, port) < 2L * burst && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(2L * burst, indexed(hec, port), "every record once more\n" + again.logText());
                double counted = Metrics.value(Metrics.get(again, "/observe/metrics").body(),
                        "tcptrace_sink_resent_after_stop_total{sink=\"splunk\"}").orElse(-1.0);
                // The spool also held the first run's stats records: every record HEC has twice is counted.
                List<String> all = hec.indexedEventValues();
                long twice = all.size() - new HashSet<>(all).size();
                assertTrue(twice >= burst, "duplicates: " + twice);
                assertEquals(twice, counted, "the duplicates counted");
                assertEquals(1, again.log().stream().filter(l -> l.contains(" WARN ")
                        && l.contains("stopped while sending " + (long) counted + " records (it was killed)")).count(),
                        again.logText());
                again.sigterm();
            }
        }
    }

    private static long indexed(StrictHecServer hec, int port) {
        return hec.indexedEvents().stream().filter(e -> e.path("event").path("dest_port").asInt() == port).count();
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jsonl") || p.toString().endsWith(".open")).toList();
        }
    }

    private static long linesWithPort(List<Path> files, int port) throws IOException {
        long n = 0;
        for (Path f : files) {
            n += Files.readAllLines(f).stream().filter(l -> l.contains("\"dest_port\":" + port + ",")).count();
        }
        return n;
    }
}
