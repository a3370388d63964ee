package io.tcptrace.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.app.Metrics;
import io.tcptrace.app.TracerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards the benchmark's completeness figure, not its speed: a full-speed burst from the C load
 * generator into the running application must reach the file sink whole, with nothing lost in
 * the kernel. Smaller than the benchmark's 200,000 so the suite stays quick.
 */
class CompletenessRegressionTest {
    private static final int BURST = 50_000;

    @TempDir
    Path tmp;

    @Test
    void aFullSpeedBurstArrivesWhole() throws Exception {
        KernelTestSupport.requireKernel();
        LoadGenerator load = LoadGenerator.build(Path.of("bench/connect-burst.c"), tmp.resolve("connect-burst"));
        int port = KernelTestSupport.refusedPort();
        Path file = tmp.resolve("events.jsonl");
        try (TracerProcess tracer = TracerProcess.start(Map.of("TCPTRACE_SINKS", "file",
                "TCPTRACE_FILE", file.toString()))) {
            LoadGenerator.Result r = load.run(port, BURST, 0);
            assertEquals(0, r.failed());
            Metrics.await(tracer, "tcptrace_sink_delivered_total{sink=\"file\"}", BURST);
            String metrics = Metrics.get(tracer, "/observe/metrics").body();
            tracer.sigterm();
            assertEquals(0.0, Metrics.value(metrics, "tcptrace_kernel_events_lost_total{reason=\"buffer_full\"}")
                    .orElseThrow());
            String needle = "\"dest_port\":" + port + ",";
            try (var lines = Files.lines(file)) {
                assertEquals(BURST, lines.filter(l -> l.contains(needle)).count(), tracer.logText());
            }
        }
    }
}
