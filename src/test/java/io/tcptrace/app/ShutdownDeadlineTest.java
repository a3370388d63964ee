package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.kafka.KafkaBroker;
import io.tcptrace.splunk.StrictHecServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM keeps the README's promise with destinations that never answer, all default timeouts:
 * HEC takes every request and answers none, the Kafka broker goes away while its client holds a
 * batch. The process is gone within 30 s (the unit's TimeoutStopSec is 45), every event read is
 * in the file, and what the two network sinks could not finish is in their spools, the records
 * whose requests were abandoned counted as possibly sent twice.
 */
class ShutdownDeadlineTest {
    private static final String TOKEN = "7c1e0b52-93a4-4d6f-8e21-0a9b8c7d6e5f";

    @TempDir
    Path tmp;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void sigtermEndsWithin30SecondsWithNoDestinationAnswering() throws Exception {
        int port = refusedPort();
        Path out = tmp.resolve("events.jsonl");
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start();
                KafkaBroker broker = new KafkaBroker()) {
            broker.start();
            broker.createTopic("deadline", 1);
            Map<String, String> env = Map.of("TCPTRACE_SINKS", "file,splunk,kafka", "TCPTRACE_FILE", out.toString(),
                    "TCPTRACE_DEST_PORTS", Integer.toString(port), "SPLUNK_HEC_URL", hec.url(), "SPLUNK_HEC_TOKEN", TOKEN,
                    "SPLUNK_SPOOL_DIR", tmp.resolve("spool-splunk").toString(), "KAFKA_BROKERS", broker.bootstrapServers(),
                    "KAFKA_TOPIC", "deadline", "KAFKA_SPOOL_DIR", tmp.resolve("spool-kafka").toString());
            long read;
            try (TracerProcess tracer = TracerProcess.start(env)) {
                for (int i = 0; i < 200; i++) {
                    connectRefused("127.0.0.1", port);
                }
                Metrics.await(tracer, "tcptrace_sink_delivered_total{sink=\"kafka\"}", 200);
                hec.setResponseDelay(Duration.ofMinutes(10)); // takes requests, answers none
                broker.stop(); // the client holds what it gets from now on
                for (int i = 0; i < 3000; i++) {
                    connectRefused("127.0.0.1", port);
                }
                Thread.sleep(1500); // a request at HEC and a batch in the Kafka client
                long start = System.nanoTime();
                tracer.sigterm();
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("SIGTERM to exit: %.1f s%n", seconds);
                assertTrue(seconds < 30, "SIGTERM took " + seconds + " s\n" + tracer.logText());

                read = tracer.eventsReadAtStop();
                assertEquals(read, lines(out, port), "file sink\n" + tracer.logText());
                assertTrue(spooledLines(tmp.resolve("spool-splunk"), port) > 0, tracer.logText());
                assertTrue(spooledLines(tmp.resolve("spool-kafka"), port) > 0, tracer.logText());
                assertTrue(tracer.log().stream().anyMatch(l -> l.contains("still waited for the destination at the stop"
                        + " deadline")), "the abandoned HEC request is named\n" + tracer.logText());
            }
            // The next start, both destinations answering: every event arrives, the abandoned request counted.
            hec.setResponseDelay(Duration.ZERO);
            broker.start();
            try (TracerProcess again = TracerProcess.start(env)) {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (new HashSet<>(indexed(hec, port)).size() < read && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                while (kafkaRecords(broker, port) < read && System.nanoTime() < deadline) {
                    Thread.sleep(2000);
                }
                List<String> indexed = indexed(hec, port);
                assertEquals(read, new HashSet<>(indexed).size(), "every event at HEC\n" + again.logText());
                assertEquals(read, kafkaRecords(broker, port), "every event in Kafka, once\n" + again.logText());
                double resent = Metrics.value(Metrics.get(again, "/observe/metrics").body(),
                        "tcptrace_sink_resent_after_stop_total{sink=\"splunk\"}").orElse(-1.0);
                assertTrue(resent > 0, "the abandoned request's records counted as possibly sent twice: " + resent);
                again.sigterm();
            }
        }
    }

    private static List<String> indexed(StrictHecServer hec, int port) {
        return hec.indexedEvents().stream().filter(e -> e.path("event").path("dest_port").asInt() == port)
                .map(e -> e.path("event").path("time").asText() + "/" + e.path("event").path("src_port")).toList();
    }

    private static long kafkaRecords(KafkaBroker broker, int port) {
        return broker.consumeAll("deadline", Integer.MAX_VALUE, Duration.ofSeconds(3)).stream()
                .filter(r -> r.value().contains("\"dest_port\":" + port + ",")).count();
    }

    private static long lines(Path file, int port) throws Exception {
        try (Stream<String> s = Files.lines(file)) {
            return s.filter(l -> l.contains("\"dest_port\":" + port + ",")).count();
        }
    }

    private static long spooledLines(Path dir, int port) throws Exception {
        long n = 0;
        try (Stream<Path> files = Files.walk(dir.resolve("spool"))) {
            for (Path p : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                n += lines(p, port);
            }
        }
        return n;
    }
}
