package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application as a separate process, configured only by environment variables: a burst of
 * connects, then SIGTERM right away. Every connect must be in the file: what was in the
 * kernel buffer at SIGTERM is drained and delivered before exit.
 */
class GracefulStopTest {
    @TempDir
    Path tmp;

    @Test
    void sigtermRightAfterABurstLosesNothing() throws Exception {
        KernelTestSupport.requireKernel();
        Path out = tmp.resolve("events.jsonl");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TcptraceMain.class.getName());
        pb.environment().put("TCPTRACE_SINKS", "file");
        pb.environment().put("TCPTRACE_FILE", out.toString());
        pb.environment().put("TCPTRACE_ROUTES_DIR", YamlRoutesTestSupport.ROUTES.toString());
        pb.environment().put("TCPTRACE_CACHE_DIR", System.getProperty("java.io.tmpdir") + "/tcptrace-test-cache");
        pb.redirectErrorStream(true);
        Process tracer = pb.start();
        List<String> log = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> attached = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(tracer.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    log.add(line);
                    if (line.contains("tcptrace ready")) {
                        attached.complete(null);
                    }
                }
            } catch (Exception ignored) {
                // process ended
            }
            attached.complete(null);
        });
        reader.start();
        attached.get(60, TimeUnit.SECONDS);
        assertTrue(tracer.isAlive(), "tracer exited early:\n" + String.join("\n", log));

        int port = refusedPort();
        int burst = 2000;
        for (int i = 0; i < burst; i++) {
            connectRefused("127.0.0.1", port);
        }
        tracer.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
        assertTrue(tracer.waitFor(60, TimeUnit.SECONDS), "tracer did not stop");
        reader.join(5000);

        long lines = Files.readAllLines(out).stream().filter(l -> l.contains("\"dest_port\":" + port + ",")).count();
        assertEquals(burst, lines, "events in the file after SIGTERM; log:\n" + String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.contains("stopped after")),
                "exit " + tracer.exitValue() + ", log:\n" + String.join("\n", log));
        assertTrue(log.stream().noneMatch(l -> l.contains(" ERROR ")), String.join("\n", log));
    }
}
