package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.CommunityId;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.event.TcpHealth;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole life of real connections on loopback: a server in this JVM, a client in a child bash
 * process, exact byte counts each way. One connect, one accept, two closes, sharing one four-tuple.
 * Accept and close exist in tracepoint mode only, so this class names its mode whatever the test
 * run's -Dtcptrace.test.probe.
 */
class ConnectionLifecycleTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final int UP = 12_345;
    private static final int DOWN = 54_321;
    private static final TestConfig TRACE_SELF = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)
            .withExcludeOwnPid(false);

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void ipv4ConnectionHasConnectAcceptAndTwoClosesWithExactBytes() throws Exception {
        lifecycle("127.0.0.1", TRACE_SELF);
    }

    @Test
    void ipv6ConnectionHasConnectAcceptAndTwoClosesWithExactBytes() throws Exception {
        lifecycle("::1", TRACE_SELF);
    }

    /** The classic tracepoint (the kernel's record, no socket offsets) gives the very same events. */
    @Test
    void classicTracepointGivesTheSameLifecycle() throws Exception {
        TestConfig classic = TRACE_SELF.with(c -> c.setRawTracepoint(false));
        lifecycle("127.0.0.1", classic);
        lifecycle("::1", classic);
    }

    private void lifecycle(String address, TestConfig config) throws Exception {
        try (TracerHarness h = new TracerHarness(config)) {
            // raw wherever the BTF has the socket's offsets (every kernel the tests run on), unless turned off
            assertEquals(config.get().isRawTracepoint() ? "raw tracepoint inet_sock_set_state"
                    : "tracepoint sock:inet_sock_set_state", h.tracer.attachments().get(0).description());
            // Listening after the tracer attached: listen() is where the owner of the port is learnt.
            try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName(address))) {
                int port = listener.getLocalPort();
                {
                    Process client = new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port
                            + "; head -c " + UP + " /dev/zero >&3; head -c " + DOWN + " <&3 >/dev/null; sleep 0.15;"
                            + " exec 3>&-").start();
                    try (Socket s = listener.accept()) {
                        InputStream in = s.getInputStream();
                        assertEquals(UP, in.readNBytes(UP).length);
                        OutputStream out = s.getOutputStream();
                        out.write(new byte[DOWN]);
                        out.flush();
                        assertEquals(-1, in.read(), "client closes first");
                    }
                    assertEquals(0, client.waitFor());
                    long clientPid = client.pid();
                    List<ConnectionEvent> events = h.awaitCount(4, e -> e.destPort() == port);
                    assertEquals(4, events.size(), events.toString());
                    ConnectionEvent connect = one(events, Type.CONNECT);
                    ConnectionEvent accept = one(events, Type.ACCEPT);
                    List<ConnectionEvent> closes = events.stream().filter(e -> e.type() == Type.CLOSE).toList();
                    assertEquals(2, closes.size(), events.toString());
                    ConnectionEvent clientClose = closes.stream().filter(e -> !e.inbound()).findFirst().orElseThrow();
                    ConnectionEvent serverClose = closes.stream().filter(ConnectionEvent::inbound).findFirst()
                            .orElseThrow();

                    assertEquals(clientPid, connect.processId());
                    assertEquals("bash", connect.processName());
                    assertEquals("allowed", connect.action());
                    assertEquals(PID, accept.processId(), "the listener's owner accepts");
                    assertEquals("inbound", accept.direction());
                    assertEquals("allowed", accept.action());

                    assertEquals(clientPid, clientClose.processId(), "the close belongs to the opener");
                    assertEquals(UP, clientClose.bytesOut());
                    assertEquals(DOWN, clientClose.bytesIn());
                    assertEquals(PID, serverClose.processId(), "the close belongs to the acceptor");
                    assertEquals(UP, serverClose.bytesIn());
                    assertEquals(DOWN, serverClose.bytesOut());
                    for (ConnectionEvent close : closes) {
                        assertEquals("teardown", close.action());
                        assertTrue(close.durationMicros() >= 150_000, "duration " + close.durationMicros() + " µs");
                    }
                    // TCP health from the kernel's counters: loopback loses nothing; each side's segments
                    // cover at least its data (64 KiB at most each on loopback) and the peer's ACKs.
                    for (ConnectionEvent close : closes) {
                        TcpHealth health = close.health();
                        assertTrue(health != null && health.rttMicros() > 0 && health.rttVarMicros() >= 0, close.toString());
                        assertEquals(0, health.retransmits(), close.toString());
                        assertTrue(health.packetsOut() >= 2 && health.packetsIn() >= 2, close.toString());
                    }
                    assertEquals(0, connect.health().retransmits(), "no SYN sent twice on loopback");
                    // One Community ID on all four events: the spec's hash of the four values.
                    String id = new CommunityId(0).of(CommunityId.TCP, InetAddress.getByName(connect.srcIp()).getAddress(),
                            connect.srcPort(), InetAddress.getByName(connect.destIp()).getAddress(), port);
                    for (ConnectionEvent e : events) {
                        assertEquals(id, e.communityId(), e.toString());
                    }
                    for (ConnectionEvent e : events) {
                        assertEquals(connect.srcIp(), e.srcIp(), e.toString());
                        assertEquals(connect.srcPort(), e.srcPort(), e.toString());
                        assertEquals(connect.destIp(), e.destIp(), e.toString());
                        assertEquals(port, e.destPort(), e.toString());
                    }
                    assertEquals(address.contains(":") ? 6 : 4, connect.ipVersion());
                }
            }
        }
    }

    @Test
    void refusedConnectIsBlockedAndHasNoClose() throws Exception {
        int port = refusedPort();
        try (TracerHarness h = new TracerHarness(TRACE_SELF
                .withDestPorts(Set.of(port)))) {
            KernelTestSupport.connectRefused("127.0.0.1", port);
            List<ConnectionEvent> events = h.collectFor(500, e -> true);
            assertEquals(1, events.size(), events.toString());
            assertEquals(Type.CONNECT, events.get(0).type());
            assertEquals("blocked", events.get(0).action());
        }
    }

    @Test
    void resetConnectionStillHasTwoCloses() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF);
             ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = listener.getLocalPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                 Socket accepted = listener.accept()) {
                client.getOutputStream().write(new byte[100]);
                assertEquals(100, accepted.getInputStream().readNBytes(100).length);
                accepted.setSoLinger(true, 0);   // close with a reset, server first
            }
            List<ConnectionEvent> closes = h.awaitCount(2, e -> e.type() == Type.CLOSE && e.destPort() == port);
            assertEquals(2, closes.size(), closes.toString());
            for (ConnectionEvent c : closes) {
                assertEquals(PID, c.processId());
                assertEquals(100, c.inbound() ? c.bytesIn() : c.bytesOut(), c.toString());
            }
        }
    }

    private static ConnectionEvent one(List<ConnectionEvent> events, Type type) {
        List<ConnectionEvent> found = events.stream().filter(e -> e.type() == type).toList();
        assertEquals(1, found.size(), type + " in " + events);
        return found.get(0);
    }
}
