package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The map of established connections (connMax) full: more connections open at once than it
 * holds. Each one that does not fit is counted in lostConnFull and has no close event; those that
 * fit still have theirs, and once they are closed the room is there again.
 */
class ConnectionMapOverflowTest {
    private static final int CONN_MAX = 4;
    private static final int CONNECTIONS = 10;
    private static final int BYTES = 1000;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void connectionsBeyondConnMaxAreCountedAndHaveNoCloseEvent() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket listener = new ServerSocket(0, 50, loopback)) {
            int port = listener.getLocalPort();
            TestConfig config = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)   // closes: tracepoint only
                    .withExcludeOwnPid(false).withDestPorts(Set.of(port))
                    .with(c -> c.setConnMax(CONN_MAX));
            try (TracerHarness h = new TracerHarness(config)) {
                assertEquals(0, h.tracer.counters().lostConnFull());
                // Both sides of each connection are this host's: two entries per connection.
                List<Socket> open = new ArrayList<>();
                for (int i = 0; i < CONNECTIONS; i++) {
                    open.addAll(connectAndExchange(listener, loopback, port));
                }
                List<ConnectionEvent> opened = h.awaitCount(2 * CONNECTIONS,
                        e -> e.type() == Type.CONNECT || e.type() == Type.ACCEPT);
                assertEquals(CONNECTIONS, opened.stream().filter(e -> e.type() == Type.CONNECT).count(),
                        "every connect is reported, map full or not");
                assertEquals(CONNECTIONS, opened.stream().filter(e -> e.type() == Type.ACCEPT).count(),
                        "every accept is reported, map full or not");
                for (Socket s : open) {
                    s.close();
                }

                List<ConnectionEvent> closes = h.collectFor(1000, e -> e.type() == Type.CLOSE);
                assertEquals(CONN_MAX, closes.size(), "closes of the connections that fit: " + closes);
                for (ConnectionEvent c : closes) {
                    assertEquals(BYTES, c.bytesIn(), c.toString());
                    assertEquals(BYTES, c.bytesOut(), c.toString());
                    assertEquals(port, c.destPort());
                }
                KernelCounters counters = h.tracer.counters();
                assertEquals(2L * CONNECTIONS - CONN_MAX, counters.lostConnFull(), counters.toString());
                assertTrue(counters.lost() >= counters.lostConnFull(), "counted as loss");

                // The closed connections freed their entries: a new one is tracked again.
                h.events.clear();
                List<Socket> again = connectAndExchange(listener, loopback, port);
                for (Socket s : again) {
                    s.close();
                }
                assertEquals(2, h.awaitCount(2, e -> e.type() == Type.CLOSE).size(), h.events.toString());
                assertEquals(2L * CONNECTIONS - CONN_MAX, h.tracer.counters().lostConnFull(), "no new loss");
            }
        }
    }

    /** One connection with {@link #BYTES} each way; returns the client and the accepted socket. */
    private static List<Socket> connectAndExchange(ServerSocket listener, InetAddress address, int port)
            throws Exception {
        Socket client = new Socket(address, port);
        Socket accepted = listener.accept();
        client.getOutputStream().write(new byte[BYTES]);
        assertEquals(BYTES, accepted.getInputStream().readNBytes(BYTES).length);
        accepted.getOutputStream().write(new byte[BYTES]);
        assertEquals(BYTES, client.getInputStream().readNBytes(BYTES).length);
        return List.of(client, accepted);
    }
}
