package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Splunk's host and the event's own host field come from one setting, tcptrace.host, so the app's
 * dvc (an alias of host) is the same whichever Splunk reads.
 */
class SplunkHostSettingTest extends SplunkSinkTestSupport {
    private static final String HOST = "web-7.example";

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("tcptrace.host", HOST);
        return p;
    }

    @Test
    void theEnvelopesHostIsTheEventsHost() throws Exception {
        connects(5);
        await("5 events indexed", () -> indexed().size() >= 5);
        List<JsonNode> got = indexed();
        for (JsonNode envelope : got) {
            assertEquals(HOST, envelope.path("host").asText(), envelope.toString());
            assertEquals(HOST, envelope.path("event").path("host").asText(), envelope.toString());
        }
    }
}
