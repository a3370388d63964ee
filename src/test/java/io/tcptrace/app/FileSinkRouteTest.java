package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectFromChild;
import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.event.EventSchema;
import org.apache.camel.processor.FilterProcessor;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Real kernel events through the real routes/ YAML into the JSON Lines file. */
class FileSinkRouteTest extends YamlRoutesTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SCHEMA_FIELDS = YamlRoutesAccess.CONNECT_FIELDS;
    static final List<String> CONTEXT_FIELDS = List.of("process_path", "process", "parent_process_id",
            "parent_process_name", "user", "cgroup");

    @Override
    protected List<String> sinks() {
        return List.of("file");
    }

    @Override
    protected Properties properties() {
        Properties p = new Properties();
        // Let the test JVM's own connects reach the route, so the route's filter is what drops them.
        p.setProperty("tcptrace.kernel-exclude-own-pid", "false");
        return p;
    }

    @Test
    void childConnectsArriveWithinASecondWithTheSchema() throws Exception {
        int port = refusedPort();
        long v4 = connectFromChild("127.0.0.1", port);
        long v6 = connectFromChild("::1", port);
        long start = System.nanoTime();
        List<JsonNode> lines = await(l -> l.size() >= 2, port);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1000, "events in the file after " + millis + " ms");
        assertEquals(2, lines.size(), lines.toString());
        for (JsonNode e : lines) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            assertTrue(EventSchema.fieldNames().containsAll(names), "every field is declared in EventSchema");
            assertEquals(EventSchema.fieldNames().stream().filter(names::contains).toList(), names,
                    "written in EventSchema's order");
            assertTrue(names.containsAll(SCHEMA_FIELDS), names.toString());
            // bash, started by this JVM: its process context is known
            assertTrue(names.containsAll(CONTEXT_FIELDS), names.toString());
            assertTrue(e.get("process_path").asText().endsWith("/bash"), e.toString());
            assertTrue(e.get("process").asText().contains("/dev/tcp/"), e.toString());
            assertEquals(ProcessHandle.current().pid(), e.get("parent_process_id").asLong());
            assertEquals(2, e.get("schema_version").asInt());
            assertTrue(e.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"),
                    e.get("time").asText());
            assertEquals("connect", e.get("event_type").asText());
            assertEquals("blocked", e.get("action").asText());
            assertEquals("outbound", e.get("direction").asText());
            assertEquals("tcp", e.get("transport").asText());
            assertEquals("bash", e.get("process_name").asText());
            assertEquals("refused", e.get("outcome").asText());
            assertEquals("tracepoint", e.get("probe").asText());
            assertTrue(e.get("src_port").asInt() > 0);
        }
        JsonNode first = lines.stream().filter(e -> e.get("process_id").asLong() == v4).findFirst().orElseThrow();
        assertEquals(4, first.get("ip_version").asInt());
        assertEquals("127.0.0.1", first.get("dest_ip").asText());
        JsonNode second = lines.stream().filter(e -> e.get("process_id").asLong() == v6).findFirst().orElseThrow();
        assertEquals(6, second.get("ip_version").asInt());
        assertEquals("::1", second.get("src_ip").asText());
    }

    @Test
    void routeFilterDropsTheTracersOwnConnections() throws Exception {
        int port = refusedPort();
        FilterProcessor filter = context.getProcessor("drop-own-connections", FilterProcessor.class);
        long before = filter.getFilteredCount();
        connectRefused("127.0.0.1", port);    // from this JVM: the kernel filter is off, the route must drop it
        long child = connectFromChild("127.0.0.1", port);
        List<JsonNode> lines = await(l -> !l.isEmpty(), port);
        Thread.sleep(300);
        lines = readLines(port);
        assertEquals(1, lines.size(), "only the child's connect: " + lines);
        assertEquals(child, lines.get(0).get("process_id").asLong());
        assertEquals(before + 1, filter.getFilteredCount(), "the dropped event is counted");
    }

    private List<JsonNode> await(Predicate<List<JsonNode>> done, int port) throws Exception {
        long deadline = System.nanoTime() + 3_000_000_000L;
        List<JsonNode> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = readLines(port);
            if (done.test(lines)) {
                return lines;
            }
            Thread.sleep(20);
        }
        return lines;
    }

    /** The file's lines that end in a newline: the sink may be writing the last one right now. */
    static List<String> completeLines(java.nio.file.Path file) throws java.io.IOException {
        String text = Files.readString(file);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    private List<JsonNode> readLines(int port) throws Exception {
        if (!Files.exists(outputFile())) {
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>();
        for (String line : completeLines(outputFile())) {
            // The Splunk app reads forwarded lines with TIME_PREFIX = ^\{"time":"
            assertTrue(line.startsWith("{\"time\":\""), "a line is one object from its first byte: " + line);
            JsonNode e = JSON.readTree(line);
            if (e.get("dest_port").asInt() == port) {
                out.add(e);
            }
        }
        return out;
    }
}
