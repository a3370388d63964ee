package io.tcptrace.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The stats events from the tcptrace.* meters: per-interval counts, gauges, a counter reset. */
class StatsReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong read = counter("tcptrace.kernel.events.read", null, null);
    private final AtomicLong bufferFull = counter("tcptrace.kernel.events.lost", "reason", "buffer_full");
    private final AtomicLong mapFull = counter("tcptrace.kernel.events.lost", "reason", "pending_map_full");
    private final AtomicLong connMapFull = counter("tcptrace.kernel.events.lost", "reason", "conn_map_full");
    private final AtomicLong malformed = counter("tcptrace.kernel.events.lost", "reason", "malformed");
    private final AtomicLong processRecords =
            counter("tcptrace.kernel.events.lost", "reason", "process_record_buffer_full");
    private final AtomicLong processArgs = counter("tcptrace.kernel.events.lost", "reason", "process_args_map_full");
    private final AtomicLong delivered = counter("tcptrace.sink.delivered", "sink", "splunk");
    private final AtomicLong deadLettered = counter("tcptrace.sink.dead.lettered", "sink", "splunk");
    private final AtomicLong spoolFull = counter("tcptrace.sink.lost", "sink", "splunk", "reason", "spool_full");
    private final AtomicLong written = counter("tcptrace.sink.delivered", "sink", "file");
    private final AtomicLong writeFailed = counter("tcptrace.sink.lost", "sink", "file", "reason", "write_failed");
    private final AtomicLong queue = new AtomicLong();

    @Test
    void countsWhatHappenedSinceThePreviousReport() throws Exception {
        Gauge.builder("tcptrace.sink.queue.depth", queue, AtomicLong::get).tag("sink", "splunk").register(registry);
        StatsReport report = new StatsReport();
        report.setMeters(registry);
        report.setHost("h1");
        Instant t0 = Instant.parse("2026-11-28T18:00:00.000001Z");
        read.set(100);
        bufferFull.set(3);
        mapFull.set(1);
        connMapFull.set(5);
        malformed.set(2);
        processRecords.set(6);
        processArgs.set(1);
        delivered.set(90);
        deadLettered.set(2);
        written.set(100);
        queue.set(7);
        List<JsonNode> first = parse(report.report(t0));
        assertEquals(List.of("kernel", "file", "splunk"), first.stream().map(e -> e.path("component").asText()).toList());
        JsonNode kernel = first.get(0);
        assertEquals("2026-11-28T18:00:00.000001Z", kernel.path("time").asText());
        assertEquals("h1", kernel.path("host").asText());
        assertEquals(100, kernel.path("read").asLong());
        assertEquals(3 + 1 + 5 + 2, kernel.path("lost").asLong(), "every event the kernel could not hand over");
        assertEquals(3, kernel.path("lost_buffer_full").asLong());
        assertEquals(1, kernel.path("lost_map_full").asLong());
        assertEquals(5, kernel.path("lost_conn_map_full").asLong());
        assertEquals(2, kernel.path("lost_malformed").asLong());
        assertEquals(7, kernel.path("lost_process_context").asLong(), "context lost, events kept: not in lost");
        assertEquals(90, first.get(2).path("delivered").asLong());
        assertEquals(2, first.get(2).path("dead_lettered").asLong());
        assertEquals(7, first.get(2).path("queue_depth").asLong());

        read.set(150);
        delivered.set(150);
        spoolFull.set(5);
        writeFailed.set(2);
        queue.set(0);
        mapFull.set(0); // the BPF maps were reloaded: counts start again from zero
        connMapFull.set(0);
        malformed.set(2);
        processRecords.set(8);
        List<JsonNode> second = parse(report.report(t0.plusSeconds(60)));
        assertEquals(60.0, second.get(0).path("interval_seconds").asDouble());
        assertEquals(50, second.get(0).path("read").asLong());
        assertEquals(0, second.get(0).path("lost").asLong());
        assertEquals(2, second.get(0).path("lost_process_context").asLong());
        assertEquals(2, second.get(1).path("lost").asLong(), "file: write failures");
        assertEquals(2, second.get(1).path("lost_write_failed").asLong(), "by the metric's reason");
        assertEquals(0, second.get(1).path("delivered").asLong());
        assertEquals(60, second.get(2).path("delivered").asLong());
        assertEquals(5, second.get(2).path("lost").asLong(), "splunk: spool full");
        assertEquals(5, second.get(2).path("lost_spool_full").asLong(), "by the metric's reason");
        assertTrue(second.get(2).path("lost_spool_write_failed").isMissingNode(), "a reason with nothing lost: not written");
        assertTrue(first.get(2).path("lost_spool_full").isMissingNode());
        assertEquals(0, second.get(2).path("dead_lettered").asLong());
        assertEquals(0, second.get(2).path("queue_depth").asLong());
        for (JsonNode e : second) {
            e.fieldNames().forEachRemaining(f -> assertEquals(true, StatsReport.fieldNames().contains(f), f));
        }
    }

    private AtomicLong counter(String name, String... tags) {
        AtomicLong v = new AtomicLong();
        List<String> t = new ArrayList<>();
        for (String s : tags) {
            if (s != null) {
                t.add(s);
            }
        }
        FunctionCounter.builder(name, v, AtomicLong::get).tags(t.toArray(new String[0])).register(registry);
        return v;
    }

    private static List<JsonNode> parse(List<byte[]> events) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (byte[] e : events) {
            nodes.add(JSON.readTree(e));
        }
        return nodes;
    }
}
