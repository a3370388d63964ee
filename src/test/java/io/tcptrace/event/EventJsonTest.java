package io.tcptrace.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.ProcessContext;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * EventJson writes a repeated string from its encoded form: the text must be the same as when it
 * is written fresh, for values that need escaping too, and a changed value must never be written
 * from the previous one's bytes.
 */
class EventJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void repeatedAndChangedStringsAreWrittenAsGiven() throws Exception {
        ProcessContext.Fields tricky = new ProcessContext.Fields("/opt/\"odd\" dir/app\\bin",
                "app --motd 'line one\nline two\ttab' café ☕ 😀 \u0001", 1, "init", "rené", "/system.slice/x.service",
                "x.service", null, null);
        ProcessContext.Fields other = new ProcessContext.Fields("/usr/bin/curl", "curl -s http://h/", 7, "bash",
                "root", "/user.slice", null, null, null);
        EventJson writer = EventJson.perThread();

        // Same instances three times (written fresh, then encoded, then from the encoded form),
        // then other values, then the first event again with its dest_ip, comm, path and command
        // line as equal but new instances.
        ConnectionEvent first = event("10.0.0.1", "comm-a", tricky);
        byte[] fresh = writer.write(first);
        check(first, fresh);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(fresh, writer.write(first), "the encoded form writes the same bytes");
        }
        ConnectionEvent second = event("10.0.0.2", "comm-b", other);
        check(second, writer.write(second));
        check(second, writer.write(second));
        ConnectionEvent copy = event(new String("10.0.0.1"), new String("comm-a"), new ProcessContext.Fields(
                new String(tricky.processPath()), new String(tricky.process()), 1, "init", "rené",
                "/system.slice/x.service", "x.service", null, null));
        check(copy, writer.write(copy));
        check(first, writer.write(first));
    }

    /**
     * Fields come in the schema's order, the long ones last and the command line the very last:
     * Splunk extracts JSON fields only from an event's first bytes.
     */
    @Test
    void fieldsAreWrittenInTheSchemasOrderWithTheCommandLineLast() throws Exception {
        ProcessContext.Fields full = new ProcessContext.Fields("/usr/bin/curl", "curl " + "x".repeat(20_000), 7, "bash",
                "root", "/system.slice/docker-" + "a".repeat(64) + ".scope", "docker.service", "a".repeat(64),
                "0b8f7f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f");
        JsonNode n = JSON.readTree(EventJson.perThread().write(event("10.0.0.1", "curl", full)));
        java.util.List<String> written = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(written::add);
        java.util.List<String> schemaOrder = EventSchema.fieldNames().stream().filter(written::contains).toList();
        assertEquals(schemaOrder, written);
        assertEquals(java.util.List.of("process_path", "cgroup", "process"), written.subList(written.size() - 3,
                written.size()));
    }

    /** A close's TCP health in milliseconds with microsecond precision, each counter only where the kernel has it. */
    @Test
    void closeCarriesItsHealthAndEveryEventItsCommunityId() throws Exception {
        ConnectionEvent close = new ConnectionEvent(Type.CLOSE, 1_764_000_000_123_456L, false, 4, "127.0.0.1", 40000,
                "10.0.0.9", 443, 100, 101, "curl", 0, 1, 0, "host-1", null, -1, 1_500_000, 10, 20, "tracepoint", null,
                new TcpHealth(20_125, 4_000, 3, 17, TcpHealth.ABSENT), "1:abc=", true, "api.example.test");
        JsonNode n = JSON.readTree(EventJson.perThread().write(close));
        assertEquals("api.example.test", n.path("dest_host").asText());
        assertEquals(20.125, n.path("rtt").asDouble());
        assertEquals(4.0, n.path("rtt_var").asDouble());
        assertEquals(3, n.path("retransmits").asLong());
        assertEquals(17, n.path("packets_in").asLong());
        assertTrue(n.path("packets_out").isMissingNode(), "absent where the kernel lacks it, never 0");
        assertEquals("1:abc=", n.path("community_id").asText());
        assertTrue(n.path("preexisting").asBoolean(), "a connection found open at the start says so");

        ConnectionEvent refused = new ConnectionEvent(Type.CONNECT, 1_764_000_000_123_456L, false, 4, "127.0.0.1",
                40000, "10.0.0.9", 443, 100, 101, "curl", 0, 1, 0, "host-1", Outcome.REFUSED, 90, -1, 0, 0,
                "tracepoint", null, TcpHealth.synRetries(0), null, false, null);
        JsonNode r = JSON.readTree(EventJson.perThread().write(refused));
        assertEquals(0, r.path("syn_retries").asLong(), "a refused connect says it needed no retry");
        assertTrue(r.path("rtt").isMissingNode() && r.path("community_id").isMissingNode()
                && r.path("preexisting").isMissingNode() && r.path("dest_host").isMissingNode());
        ConnectionEvent quick = new ConnectionEvent(Type.CONNECT, 1_764_000_000_123_456L, false, 4, "127.0.0.1",
                40000, "10.0.0.9", 443, 100, 101, "curl", 0, 1, 0, "host-1", Outcome.ESTABLISHED, 90, -1, 0, 0,
                "tracepoint", null, TcpHealth.synRetries(0), null, false, null);
        assertTrue(JSON.readTree(EventJson.perThread().write(quick)).path("syn_retries").isMissingNode(),
                "an established connect without retries leaves it out");
    }

    private static ConnectionEvent event(String destIp, String comm, ProcessContext.Fields context) {
        return new ConnectionEvent(Type.CONNECT, 1_764_000_000_123_456L, false, 4, "127.0.0.1", 40000, destIp, 443,
                100, 101, comm, 0, 1, 4026531840L, "host-1", Outcome.ESTABLISHED, 250, -1, 0, 0, "tracepoint", context, null, null, false, null);
    }

    private static void check(ConnectionEvent e, byte[] json) throws Exception {
        // Every event, not only a thread's first, is one object from its first byte (the Splunk app's
        // TIME_PREFIX for forwarded files is ^\{"time":").
        assertTrue(new String(json, StandardCharsets.UTF_8).startsWith("{\"time\":\""), new String(json, StandardCharsets.UTF_8));
        JsonNode n = JSON.readTree(json);
        assertEquals(e.destIp(), n.path("dest_ip").asText());
        assertEquals(e.processName(), n.path("process_name").asText());
        assertEquals(e.context().processPath(), n.path("process_path").asText());
        assertEquals(e.context().process(), n.path("process").asText());
        assertEquals(e.context().user(), n.path("user").asText());
        assertEquals(e.context().cgroup(), n.path("cgroup").asText());
        assertEquals("outbound", n.path("direction").asText());
        assertEquals("host-1", n.path("host").asText());
        assertEquals(e.netns(), n.path("netns").asLong());
        assertEquals(e.context().service() == null, n.path("service").isMissingNode());
    }
}
