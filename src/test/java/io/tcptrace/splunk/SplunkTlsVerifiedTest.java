package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** https with certificate and hostname verification, trusting the server's CA from splunk.ca-file. */
class SplunkTlsVerifiedTest extends SplunkSinkTestSupport {

    @Override
    StrictHecServer.Builder hecBuilder() {
        return super.hecBuilder().tls();
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("splunk.ca-file", hec().certificate().certificatePath().toString());
        return p;
    }

    @Test
    void eventsArriveOverVerifiedTls() throws Exception {
        assertTrue(hec().url().startsWith("https://127.0.0.1:"));
        connects(20);
        await("events over https", () -> indexed().size() >= 20);
        assertEquals(20, indexed().size());
        assertEquals(0, delivery().getSpooled());
    }
}
