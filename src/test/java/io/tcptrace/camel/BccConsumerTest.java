package io.tcptrace.camel;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static io.tcptrace.KernelTestSupport.scaled;
import static io.tcptrace.KernelTestSupport.tracepointMode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelCamelTestSupport;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Exchange;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

/** The bcc: consumer on the real kernel: headers, suspend/resume, and loss made visible. */
class BccConsumerTest extends KernelCamelTestSupport {
    private static final long PID = ProcessHandle.current().pid();
    private final List<Exchange> received = new CopyOnWriteArrayList<>();

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("bcc:tcpconnect?probe=" + PROBE + "&excludeOwnPid=false&onlyPids=" + PID + "&cacheDir=" + CACHE_DIR)
                        .routeId("trace").autoStartup(true)
                        .process(received::add);
                // A tiny buffer and a slow route: the burst overflows it.
                from("bcc:tcpconnect?probe=" + PROBE + "&excludeOwnPid=false&onlyPids=" + PID + "&destPorts=9&bufferPages=2"
                        + "&cacheDir=" + CACHE_DIR)
                        .routeId("tiny").autoStartup(false)
                        .process(e -> Thread.sleep(1))
                        .process(received::add);
            }
        };
    }

    @Test
    void bodyIsTheEventAndKeyFieldsAreHeaders() throws Exception {
        int port = refusedPort();
        connectRefused("127.0.0.1", port);
        Exchange e = await(port);
        ConnectEvent event = assertInstanceOf(ConnectEvent.class, e.getMessage().getBody());
        assertEquals(PID, e.getMessage().getHeader(BccConstants.PID));
        assertEquals(port, e.getMessage().getHeader(BccConstants.DEST_PORT));
        assertEquals("127.0.0.1", e.getMessage().getHeader(BccConstants.DEST_IP));
        assertEquals(event.srcPort(), e.getMessage().getHeader(BccConstants.SRC_PORT));
        assertEquals(tracepointMode() ? "refused" : null, e.getMessage().getHeader(BccConstants.OUTCOME));
        assertEquals(0L, e.getMessage().getHeader(BccConstants.LOST_TOTAL));
        assertEquals(Boolean.TRUE, e.getMessage().getHeader(BccConstants.BATCH_END));
    }

    @Test
    void suspendDetachesAndResumeReattaches() throws Exception {
        int port = refusedPort();
        context.getRouteController().suspendRoute("trace");
        connectRefused("127.0.0.1", port);
        Thread.sleep(scaled(300));
        assertEquals(0, matching(port).size(), "no event while suspended");
        context.getRouteController().resumeRoute("trace");
        connectRefused("127.0.0.1", port);
        await(port);
        Thread.sleep(scaled(200));
        assertEquals(1, matching(port).size());
    }

    @Test
    void lostEventsAreCountedOnTheEndpointAndCarriedAsAHeader() throws Exception {
        context.getRouteController().stopRoute("trace");
        context.getRouteController().startRoute("tiny");
        BccEndpoint endpoint = (BccEndpoint) context.getRoute("tiny").getEndpoint();
        int burst = 3000;
        for (int i = 0; i < burst; i++) {
            connectRefused("127.0.0.1", 9);
        }
        long deadline = System.nanoTime() + scaled(10_000) * 1_000_000L;
        while (endpoint.getReceivedTotal() + endpoint.getLostTotal() < burst && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(endpoint.getLostTotal() > 0, "a tiny buffer must overflow");
        assertEquals(burst, endpoint.getReceivedTotal() + endpoint.getLostTotal());
        connectRefused("127.0.0.1", 9);   // the next exchange carries the running total
        deadline = System.nanoTime() + scaled(3000) * 1_000_000L;
        // Exchanges of the burst carry the totals of their time; the newest one must carry the final total.
        long total = endpoint.getLostTotal();
        while (received.isEmpty() || lostHeader(received.get(received.size() - 1)) != total) {
            assertTrue(System.nanoTime() < deadline, "no exchange carried the lost total " + total + ", last: "
                    + (received.isEmpty() ? "none" : lostHeader(received.get(received.size() - 1))));
            Thread.sleep(20);
        }
        assertEquals(total, endpoint.getLostTotal(), "no more losses after the burst");
    }

    @Test
    void unknownProgramAndProducerUseAreRefused() {
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("bcc:tcpaccept"));
        assertTrue(e.getCause().getMessage().contains("unknown bcc program 'tcpaccept'"), e.getMessage());
        assertThrows(UnsupportedOperationException.class,
                () -> context.getEndpoint("bcc:tcpconnect").createProducer());
    }

    private static long lostHeader(Exchange e) {
        return e.getMessage().getHeader(BccConstants.LOST_TOTAL, Long.class);
    }

    private List<Exchange> matching(int port) {
        return received.stream().filter(x -> port == (int) x.getMessage().getHeader(BccConstants.DEST_PORT)).toList();
    }

    private Exchange await(int port) throws InterruptedException {
        long deadline = System.nanoTime() + scaled(3000) * 1_000_000L;
        while (System.nanoTime() < deadline) {
            List<Exchange> m = matching(port);
            if (!m.isEmpty()) {
                return m.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no exchange for port " + port);
    }
}
