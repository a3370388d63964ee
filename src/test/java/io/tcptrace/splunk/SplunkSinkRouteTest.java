package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Delivery semantics of routes/sink-splunk.yaml against a strict HEC server, with real kernel events. */
class SplunkSinkRouteTest extends SplunkSinkTestSupport {

    @Test
    void batchesOfEnvelopesWithKernelTimeGzipAndToken() throws Exception {
        int n = 300;
        connects(n);
        await(n + " events indexed", () -> indexed().size() >= n);
        List<JsonNode> got = indexed();
        assertEquals(n, got.size());
        assertEquals(n, new HashSet<>(keys(got)).size(), "no duplicates");
        Instant previous = Instant.EPOCH;
        for (JsonNode envelope : got) {
            assertEquals("linux:ebpf:tcp", envelope.path("sourcetype").asText());
            assertEquals("tcptrace", envelope.path("source").asText());
            assertFalse(envelope.path("host").asText().isBlank());
            assertFalse(envelope.has("index"), "no index unless configured");
            // HEC time is the kernel's connect time, epoch seconds with microseconds.
            assertTrue(envelope.path("time").isNumber(), envelope.toString());
            Instant eventTime = Instant.parse(envelope.path("event").path("time").asText());
            double micros = eventTime.getEpochSecond() * 1e6 + eventTime.getNano() / 1000;
            assertEquals(micros, envelope.path("time").asDouble() * 1e6, 2.0, "HEC time = kernel time");
            assertFalse(eventTime.isBefore(previous), "indexed in kernel order");
            previous = eventTime;
            assertEquals("refused", envelope.path("event").path("outcome").asText());
        }
        List<RecordedRequest> posts = hec().requests().stream()
                .filter(r -> r.path().equals("/services/collector/event")).toList();
        assertTrue(posts.size() < n / 10, "batched: " + posts.size() + " requests for " + n + " events");
        for (RecordedRequest r : posts) {
            assertTrue(r.gzip(), "gzip on by default");
            assertEquals(RecordedRequest.Auth.OK, r.auth());
            assertEquals(200, r.status());
        }
        assertEquals(n, delivery().getDelivered());
        assertEquals(0, delivery().getSpooled());
    }

    @Test
    void anOutageSpoolsToDiskAndReplaysInOrderExactlyOnce() throws Exception {
        connects(20);
        // Delivered, not just indexed: taking HEC down between indexing and its reply would make
        // the sender send those events again (HTTP delivery is at-least-once).
        await("first events", () -> delivery().getDelivered() >= 20);
        hec().setDown(true);
        connects(200);
        await("events spooled while HEC is down", () -> delivery().getSpooled() >= 200);
        assertTrue(endpoint().getSpoolBytes() > 0);
        assertEquals(20, indexed().size());
        hec().setUp();
        await("replay after HEC is back", () -> indexed().size() >= 220);
        connects(30); // after the replay, new events flow directly again
        await("new events after the replay", () -> indexed().size() >= 250);
        Thread.sleep(300);
        List<JsonNode> got = indexed();
        assertEquals(250, got.size());
        assertEquals(250, new HashSet<>(keys(got)).size(), "exactly once");
        List<Instant> times = got.stream().map(e -> Instant.parse(e.path("event").path("time").asText())).toList();
        assertEquals(times.stream().sorted().toList(), times, "in kernel order across the outage");
        assertTrue(delivery().getReplayed() >= 200);
        assertEquals(0, delivery().getLostTotal());
        assertTrue(hec().requests().stream().anyMatch(r -> r.path().equals("/services/collector/health")),
                "replay waited for the health endpoint");
    }

    @Test
    void aBadEventIsDeadLetteredAndTheRestIsNotDuplicated() throws Exception {
        hec().rejectEventNumber(7);
        int n = 40;
        connects(n);
        await("events indexed or dead-lettered",
                () -> indexed().size() + delivery().getDeadLettered() >= n);
        Thread.sleep(300);
        List<JsonNode> got = indexed();
        assertEquals(n - 1, got.size());
        assertEquals(n - 1, new HashSet<>(keys(got)).size(), "nothing indexed twice");
        assertEquals(1, delivery().getDeadLettered());
        assertTrue(hec().requests().stream().anyMatch(r -> r.hecCode() == 6), "HEC answered invalid-event-number");
        assertEquals(1, deadLetterLines().size());
    }

    /**
     * A revoked token says the configuration is wrong, not the data: the events wait in the spool,
     * the sink says why at once (health DOWN through getMisconfiguration), with one ERROR naming the
     * setting and never the token, and once the token is accepted again every event is indexed,
     * exactly once, without a restart.
     */
    @Test
    void aDisabledTokenKeepsEventsWaitingUntilItIsAcceptedAgain() throws Exception {
        io.tcptrace.ops.TcptraceHealth.register(context, (io.tcptrace.camel.BccConsumer) context.getRoute("tcp-connect")
                .getConsumer(), 300);
        assertEquals(org.apache.camel.health.HealthCheck.State.UP, sinkHealth().getState());
        hec().disableToken(TOKEN);
        try (LogCapture log = new LogCapture()) {
            connects(25);
            await("the refusal reported", () -> endpoint().getMisconfiguration() != null);
            // DOWN at once, not after tcptrace.health.sink-failure-seconds (300 here)
            org.apache.camel.health.HealthCheck.Result health = sinkHealth();
            assertEquals(org.apache.camel.health.HealthCheck.State.DOWN, health.getState());
            assertTrue(health.getMessage().orElse("").contains("SPLUNK_HEC_TOKEN"), health.getMessage().toString());
            assertTrue(endpoint().getMisconfiguration().contains("SPLUNK_HEC_TOKEN"), endpoint().getMisconfiguration());
            await("the events spooled", () -> delivery().getSpooled() >= 25);
            await("retried", () -> delivery().getRetries() >= 2);
            assertEquals(1, log.lines().stream().filter(l -> l.startsWith("ERROR")).count(), log.lines().toString());
            assertTrue(log.contains("HEC code 1"), log.lines().toString());
            assertFalse(log.lines().stream().anyMatch(l -> l.contains(TOKEN)), "token in a log line");
        }
        assertEquals(0, indexed().size());
        assertEquals(0, delivery().getDeadLettered(), "nothing thrown aside for a configuration fault");
        hec().enableToken(TOKEN);
        await("every event indexed once the token is accepted", () -> indexed().size() >= 25);
        Thread.sleep(300);
        assertEquals(25, indexed().size());
        assertEquals(25, new HashSet<>(keys(indexed())).size(), "exactly once");
        await("the refusal is over", () -> endpoint().getMisconfiguration() == null);
        assertEquals(org.apache.camel.health.HealthCheck.State.UP, sinkHealth().getState());
    }

    /** The sink's check as the health endpoint calls it. */
    private org.apache.camel.health.HealthCheck.Result sinkHealth() {
        return ((org.apache.camel.health.HealthCheck) org.apache.camel.health.HealthCheckRegistry.get(context)
                .getCheck("tcptrace-sink-" + endpoint().getName()).orElseThrow()).call();
    }

    @Test
    void aBusyServerIsRetriedWithoutLoss() throws Exception {
        hec().busyFor(3);
        connects(50);
        await("events indexed after busy answers", () -> indexed().size() >= 50);
        Thread.sleep(300);
        assertEquals(50, new HashSet<>(keys(indexed())).size());
        assertEquals(50, indexed().size());
        assertTrue(delivery().getRetries() >= 1);
        assertEquals(0, delivery().getDeadLettered());
    }

    private List<String> deadLetterLines() throws Exception {
        Path dir = spoolDir().resolve("dead-letter");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".jsonl") || f.toString().endsWith(".open")).sorted()
                    .flatMap(f -> {
                        try {
                            return Files.readAllLines(f).stream();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).filter(l -> !l.isBlank()).toList();
        }
    }
}
