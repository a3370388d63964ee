package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.ops.StatsReport;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

/**
 * routes/tcptrace-stats.yaml with the splunk sink: real kernel events and the loss counters reach
 * a strict HEC server, the counters under their own sourcetype, the events under theirs.
 */
class SplunkStatsRouteTest extends SplunkSinkTestSupport {

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("tcptrace.stats-enabled", "true");
        p.setProperty("tcptrace.stats-interval-ms", "300");
        return p;
    }

    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        List<RoutesBuilder> builders = new ArrayList<>(List.of(super.createRouteBuilders()));
        Path stats = Path.of(System.getProperty("tcptrace.home", "."), "routes", "tcptrace-stats.yaml");
        builders.addAll(PluginHelper.getRoutesLoader(context)
                .findRoutesBuilders(ResourceHelper.resolveResource(context, "file:" + stats)));
        return builders.toArray(new RoutesBuilder[0]);
    }

    @Test
    void lossCountersReachSplunkUnderTheirOwnSourcetype() throws Exception {
        int n = 40;
        connects(n);
        await(n + " events indexed", () -> indexed().size() >= n);
        await("the kernel's stats count them", () -> sum("kernel", "read") >= n);
        Thread.sleep(700); // two more reports: nothing more is counted
        assertEquals(n, sum("kernel", "read"), "each event counted once across reports");
        assertEquals(0, sum("kernel", "lost"));
        assertTrue(stats("splunk").size() >= 2, "a report for the splunk sink each interval");
        assertEquals(0, sum("splunk", "dead_lettered"));
        assertTrue(sum("splunk", "delivered") >= n, "the splunk sink's deliveries");
        for (JsonNode envelope : hec().indexedEvents()) {
            JsonNode event = envelope.path("event");
            if (!event.has("component")) {
                assertEquals("linux:ebpf:tcp", envelope.path("sourcetype").asText());
                continue;
            }
            assertEquals("tcptrace:stats", envelope.path("sourcetype").asText());
            assertEquals("tcptrace", event.path("vendor_product").asText());
            event.fieldNames().forEachRemaining(f -> assertTrue(StatsReport.fieldNames().contains(f), f));
            Instant t = Instant.parse(event.path("time").asText());
            assertEquals(t.getEpochSecond() + t.getNano() / 1e9, envelope.path("time").asDouble(), 2e-6,
                    "HEC time is the report's time");
        }
    }

    private List<JsonNode> stats(String component) {
        return hec().indexedEvents().stream().map(e -> e.path("event"))
                .filter(e -> e.path("component").asText().equals(component)).toList();
    }

    private long sum(String component, String field) {
        return stats(component).stream().mapToLong(e -> e.path(field).asLong()).sum();
    }
}
