package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus metrics and the health endpoint of the running application. */
class OperationsTest {
    private static final String TOKEN = "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4";

    @TempDir
    Path tmp;

    @Test
    void metricsCountTheDataPathAndHealthGoesDownWhenASinkKeepsFailing() throws Exception {
        KernelTestSupport.requireKernel();
        int port = refusedPort();
        int hecPort = refusedPort(); // nothing listens: the Splunk sink fails from the start
        try (TracerProcess tracer = TracerProcess.start(Map.of("TCPTRACE_SINKS", "file,splunk",
                "TCPTRACE_FILE", tmp.resolve("events.jsonl").toString(), "TCPTRACE_DEST_PORTS", Integer.toString(port),
                "SPLUNK_HEC_URL", "http://127.0.0.1:" + hecPort, "SPLUNK_HEC_TOKEN", TOKEN,
                "SPLUNK_SPOOL_DIR", tmp.resolve("spool").toString(), "TCPTRACE_HEALTH_SINK_FAILURE_SECONDS", "2"))) {
            for (int i = 0; i < 50; i++) {
                connectRefused("127.0.0.1", port);
            }
            Metrics.await(tracer, "tcptrace_sink_delivered_total{sink=\"file\"}", 50);
            Metrics.await(tracer, "tcptrace_sink_spooled_total{sink=\"splunk\"}", 50);
            String text = Metrics.get(tracer, "/observe/metrics").body();
            assertEquals(50.0, Metrics.value(text, "tcptrace_kernel_events_read_total").orElseThrow());
            assertEquals(0.0, Metrics.value(text, "tcptrace_kernel_events_lost_total{reason=\"buffer_full\"}").orElseThrow());
            assertEquals(1.0, Metrics.value(text, "tcptrace_probes_attached").orElseThrow());
            // update events on (the default): the sweep's counters are there; the first sweep comes after 60 s
            assertEquals(0.0, Metrics.value(text, "tcptrace_update_sweeps_failed_total").orElseThrow());
            assertEquals(0.0, Metrics.value(text, "tcptrace_update_sweeps_total").orElseThrow());
            // dest_host on (the default, as root): its filter linked, its answer and drop counters there, nothing dropped
            assertTrue(tracer.logText().contains("cgroup ingress"), tracer.logText());
            assertEquals(0.0, Metrics.value(text, "tcptrace_dns_answers_total{result=\"lost_buffer_full\"}").orElseThrow());
            assertEquals(0.0, Metrics.value(text, "tcptrace_dest_host_dropped_total{reason=\"cache_full\"}").orElseThrow());
            // the 50 events' process (this JVM, read from /proc at start): cache hits, nothing lost
            assertTrue(Metrics.value(text, "tcptrace_process_cache_hits_total{cache=\"process\"}").orElseThrow() >= 50,
                    text);
            assertTrue(Metrics.value(text, "tcptrace_process_cache_size").orElseThrow() > 0);
            assertEquals(0.0, Metrics.value(text,
                    "tcptrace_kernel_events_lost_total{reason=\"process_record_buffer_full\"}").orElseThrow());
            assertEquals(0.0, Metrics.value(text,
                    "tcptrace_kernel_events_lost_total{reason=\"process_args_map_full\"}").orElseThrow());
            assertTrue(Metrics.value(text, "tcptrace_sink_spool_bytes{sink=\"splunk\"}").orElseThrow() > 0);
            assertTrue(text.contains("jvm_memory_used_bytes"), "JVM binders");
            assertFalse(text.contains(TOKEN), "no secret in metrics");

            long deadline = System.nanoTime() + 20_000_000_000L;
            HttpResponse<String> health;
            do {
                Thread.sleep(200);
                health = Metrics.get(tracer, "/observe/health");
            } while (health.statusCode() == 200 && System.nanoTime() < deadline);
            assertEquals(503, health.statusCode(), health.body());
            assertTrue(health.body().contains("DOWN"), health.body());
            tracer.sigterm();
            assertFalse(tracer.logText().contains(TOKEN), "no secret in the log");
        }
    }
}
