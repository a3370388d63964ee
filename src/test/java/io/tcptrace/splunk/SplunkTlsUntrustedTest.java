package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import org.junit.jupiter.api.Test;

/** Verification is on by default: a certificate no trusted CA signed is refused, and events wait in the spool. */
class SplunkTlsUntrustedTest extends SplunkSinkTestSupport {

    @Override
    StrictHecServer.Builder hecBuilder() {
        return super.hecBuilder().tls();
    }

    @Test
    void aSelfSignedCertificateIsRefusedAndNothingIsLost() throws Exception {
        try (LogCapture log = new LogCapture()) {
            connects(15);
            await("events spooled", () -> delivery().getSpooled() >= 15);
            assertEquals(0, indexed().size());
            assertTrue(hec().requests().stream().noneMatch(r -> r.path().endsWith("/event")),
                    "no event request got through the TLS handshake");
            assertTrue(log.contains("SSLHandshakeException"), log.lines().toString());
            assertEquals(0, delivery().getLostTotal());
        }
    }
}
