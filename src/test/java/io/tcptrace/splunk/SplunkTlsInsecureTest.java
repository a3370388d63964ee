package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.LogCapture;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** splunk.tls-insecure=true: a lab HEC with a self-signed certificate is accepted. */
class SplunkTlsInsecureTest extends SplunkSinkTestSupport {

    @Override
    StrictHecServer.Builder hecBuilder() {
        return super.hecBuilder().tls();
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("splunk.tls-insecure", "true");
        return p;
    }

    @Test
    void insecureModeDeliversAndSaysSoOnce() throws Exception {
        try (LogCapture log = new LogCapture()) {
            context.getRouteController().stopRoute("sink-splunk");
            context.getRouteController().startRoute("sink-splunk"); // the sink's start, seen by the capture
            assertEquals(1, log.lines().stream().filter(l -> l.contains("TLS verification is OFF")).count(),
                    log.lines().toString());
        }
        connects(10);
        await("events over unverified https", () -> indexed().size() >= 10);
        assertEquals(10, indexed().size());
    }
}
