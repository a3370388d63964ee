package io.tcptrace.camel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.event.Outcome;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import io.tcptrace.process.ProcessContext;
import org.junit.jupiter.api.Test;

/** The lazy headers behave as Camel's own map wherever Camel touches them: reads, writes, copies. */
class BccMessageTest {
    private static final ConnectionEvent EVENT = new ConnectionEvent(Type.CONNECT, 1_700_000_000_123_456L, false, 4,
            "10.0.0.1", 40000, "10.0.0.2", 443, 42, 43, "curl", 1000, 7, 4026531840L, "h", Outcome.ESTABLISHED, 250, -1, 0, 0,
            "tracepoint", new ProcessContext.Fields("/usr/bin/curl", "curl https://example.test", 41, "sh", "alice",
                    "/system.slice/docker-" + "a".repeat(64) + ".scope", null, "a".repeat(64), null), null, null, false,
            "api.example.test");

    @Test
    void headersSurviveCopiesAndWrites() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            Exchange exchange = new DefaultExchange(context);
            exchange.setIn(new BccMessage(context, EVENT, 5, true));
            Message copy = exchange.copy().getMessage();
            assertEquals(1_700_000_000_123_456L, copy.getHeader(BccConstants.TIME, Long.class));
            assertEquals(443, copy.getHeader(BccConstants.DEST_PORT));
            assertEquals("api.example.test", copy.getHeader(BccConstants.DEST_HOST));
            assertEquals("/usr/bin/curl", copy.getHeader(BccConstants.PROCESS_PATH));
            assertEquals("a".repeat(64), copy.getHeader(BccConstants.CONTAINER_ID));
            assertEquals(4026531840L, copy.getHeader(BccConstants.NETNS));
            assertNull(copy.getHeader(BccConstants.SERVICE));
            assertEquals(Boolean.TRUE, copy.getHeader(BccConstants.BATCH_END));
            Message m = exchange.getMessage();
            assertEquals(42L, m.getHeader(BccConstants.PID));
            assertEquals(5L, m.getHeader(BccConstants.LOST_TOTAL, Long.class));
            assertNull(m.getHeader(BccConstants.DURATION_MICROS));
            m.setHeader("mine", "x");
            assertEquals("x", m.getHeader("MINE"));
            assertEquals(42L, m.getHeader("camelbccpid"));
            assertTrue(m.getHeaders().containsKey(BccConstants.EVENT_TYPE));
        }
    }

    @Test
    void aCopyStaysLazyAndIndependent() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            Exchange exchange = new DefaultExchange(context);
            exchange.setIn(new BccMessage(context, EVENT, 5, false));
            exchange.getMessage().setBody(new byte[] {1});
            Message copy = exchange.copy().getMessage();
            assertTrue(copy instanceof BccMessage, copy.getClass().toString());
            assertTrue(((BccHeaders) copy.getHeaders()).fromEventOnly(), "copied without building the map");
            assertNull(copy.getHeader("SplunkSourcetype"));
            assertTrue(((BccHeaders) copy.getHeaders()).fromEventOnly(), "an absent header read without the map");
            assertEquals(42L, copy.getHeader("CAMELBCCPID"), "other spellings still answered");
            assertEquals(1, ((byte[]) copy.getBody())[0]);
            copy.setHeader(BccConstants.DEST_PORT, 8443);
            assertEquals(8443, copy.getHeader(BccConstants.DEST_PORT));
            assertEquals(443, exchange.getMessage().getHeader(BccConstants.DEST_PORT), "the original keeps its own");

            exchange.getMessage().setHeader("route", "a");
            Message second = exchange.copy().getMessage();
            assertEquals("a", second.getHeader("route"), "a written header is copied");
            assertEquals(42L, second.getHeader(BccConstants.PID));
            second.removeHeader("route");
            assertEquals("a", exchange.getMessage().getHeader("route"));
        }
    }
}
