package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void insecureModeDelivers() throws Exception {
        connects(10);
        await("events over unverified https", () -> indexed().size() >= 10);
        assertEquals(10, indexed().size());
    }
}
