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
import io.tcptrace.event.ConnectionEvent;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
                // Update events every second: the consumer's clock sweeps the open connections.
                from("bcc:tcpconnect?probe=" + PROBE + "&excludeOwnPid=false&onlyPids=" + PID + "&updateInterval=1"
                        + "&cacheDir=" + CACHE_DIR)
                        .routeId("updates").autoStartup(false)
                        .process(received::add);
            }
        };
    }

    @Test
    void bodyIsTheEventAndKeyFieldsAreHeaders() throws Exception {
        int port = refusedPort();
        connectRefused("127.0.0.1", port);
        Exchange e = await(port);
        ConnectionEvent event = assertInstanceOf(ConnectionEvent.class, e.getMessage().getBody());
        assertEquals(PID, e.getMessage().getHeader(BccConstants.PID));
        assertEquals(port, e.getMessage().getHeader(BccConstants.DEST_PORT));
        assertEquals("127.0.0.1", e.getMessage().getHeader(BccConstants.DEST_IP));
        assertEquals(event.srcPort(), e.getMessage().getHeader(BccConstants.SRC_PORT));
        assertEquals(tracepointMode() ? "refused" : null, e.getMessage().getHeader(BccConstants.OUTCOME));
        assertEquals(0L, e.getMessage().getHeader(BccConstants.LOST_TOTAL));
        assertEquals(Boolean.TRUE, e.getMessage().getHeader(BccConstants.BATCH_END));
        assertEquals("connect", e.getMessage().getHeader(BccConstants.EVENT_TYPE));
        assertEquals("outbound", e.getMessage().getHeader(BccConstants.DIRECTION));
        assertEquals(event.timeMicros(), e.getMessage().getHeader(BccConstants.TIME));
        // Asked for by name, the headers come from the event; listing them builds the usual map once.
        assertTrue(e.getMessage().getHeaders().containsKey("camelbccpid"), "case-insensitive once materialized");
        assertEquals(PID, e.getMessage().getHeaders().get("CamelBccPid"));
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
        BccConsumer consumer = (BccConsumer) context.getRoute("tiny").getConsumer();
        int burst = 3000;
        for (int i = 0; i < burst; i++) {
            connectRefused("127.0.0.1", 9);
        }
        long deadline = System.nanoTime() + scaled(10_000) * 1_000_000L;
        while (consumer.getReceivedTotal() + consumer.getKernelCounters().lost() < burst && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(consumer.getKernelCounters().lost() > 0, "a tiny buffer must overflow");
        assertEquals(burst, consumer.getReceivedTotal() + consumer.getKernelCounters().lost());
        deadline = System.nanoTime() + scaled(3000) * 1_000_000L;
        // Exchanges carry the total as last read (the counters are read once a second): a new one soon
        // carries the final total.
        long total = consumer.getKernelCounters().lost();
        while (received.isEmpty() || lostHeader(received.get(received.size() - 1)) != total) {
            assertTrue(System.nanoTime() < deadline, "no exchange carried the lost total " + total + ", last: "
                    + (received.isEmpty() ? "none" : lostHeader(received.get(received.size() - 1))));
            connectRefused("127.0.0.1", 9);
            Thread.sleep(100);
        }
        assertEquals(total, consumer.getKernelCounters().lost(), "no more losses after the burst");
    }

    @Test
    void theConsumersClockSweepsOpenConnectionsIntoUpdateEvents() throws Exception {
        context.getRouteController().stopRoute("trace");
        context.getRouteController().startRoute("updates");
        BccConsumer consumer = (BccConsumer) context.getRoute("updates").getConsumer();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            int port = server.getLocalPort();
            long deadline = System.nanoTime() + scaled(10_000) * 1_000_000L;
            while (updates(port, false).isEmpty() || updates(port, true).isEmpty()) {
                if (!tracepointMode()) {
                    break;   // kprobe mode has no connections tracked: no updates
                }
                assertTrue(System.nanoTime() < deadline, "no update of each side within 10 s: " + matching(port));
                client.getOutputStream().write(new byte[100]);
                accepted.getInputStream().readNBytes(100);
                Thread.sleep(100);
            }
            if (tracepointMode()) {
                assertTrue(consumer.getSweeps() > 0, "the clock swept");
                assertEquals(0, consumer.getFailedSweeps());
                ConnectionEvent update = (ConnectionEvent) updates(port, false).get(0).getMessage().getBody();
                assertTrue(update.bytesOut() > 0 && update.durationMicros() >= 1_000_000, update.toString());
            } else {
                Thread.sleep(1500);
                assertEquals(List.of(), updates(port, false));
            }
        }
    }

    private List<Exchange> updates(int port, boolean inbound) {
        return matching(port).stream().filter(x -> "update".equals(x.getMessage().getHeader(BccConstants.EVENT_TYPE))
                && inbound == "inbound".equals(x.getMessage().getHeader(BccConstants.DIRECTION))).toList();
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
