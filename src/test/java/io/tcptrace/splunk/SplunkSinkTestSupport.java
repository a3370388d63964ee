package io.tcptrace.splunk;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.app.YamlRoutesAccess;
import io.tcptrace.delivery.DeliveryEndpoint;
import io.tcptrace.delivery.DeliveryStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;

/**
 * Real kernel events through routes/tcp-connect.yaml and routes/sink-splunk.yaml into a strict HEC
 * server, one server per test. The test JVM makes the connects, to a port nothing listens on.
 */
abstract class SplunkSinkTestSupport extends YamlRoutesAccess {
    static final String TOKEN = "7f2d8c1e-5b3a-4c9d-8e6f-0a1b2c3d4e5f";

    // No initializer: CamelTestSupport asks for properties before field initializers run.
    private StrictHecServer hec;

    /** The server for this test; a subclass may change how it is built. */
    StrictHecServer.Builder hecBuilder() {
        return StrictHecServer.builder().tokens(TOKEN);
    }

    StrictHecServer hec() {
        if (hec == null) {
            try {
                hec = hecBuilder().build().start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return hec;
    }

    @AfterEach
    void closeHec() throws Exception {
        context.stop(); // deliver or spool first, then take the server away
        if (hec != null) {
            hec.close();
        }
    }

    @Override
    protected List<String> sinks() {
        return List.of("splunk");
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("splunk.hec-url", hec().url());
        p.setProperty("splunk.hec-token", TOKEN);
        p.setProperty("splunk.spool-dir", spoolDir().toString());
        p.setProperty("splunk.linger-ms", "50");
        p.setProperty("splunk.shutdown-timeout-ms", "5000");
        return p;
    }

    Path spoolDir() {
        return outputFile().getParent().resolve("spool");
    }

    /** The route's delivery:splunk endpoint: its counters and state. */
    DeliveryEndpoint endpoint() {
        return DeliveryEndpoint.find(context, "splunk").orElseThrow();
    }

    DeliveryStats delivery() {
        return endpoint().getStats();
    }

    /** Indexed envelopes of this test's connects, in the order HEC indexed them. */
    List<JsonNode> indexed() {
        return hec().indexedEvents().stream().filter(e -> e.path("event").path("dest_port").asInt() == port())
                .toList();
    }

    /** One key per connect (kernel time and source port), to spot duplicates and gaps across resends. */
    static List<String> keys(List<JsonNode> envelopes) {
        return envelopes.stream().map(e -> e.path("event").path("time").asText() + "/"
                + e.path("event").path("src_port").asInt()).toList();
    }
}
