package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.cgroupId;
import static io.tcptrace.KernelTestSupport.comm;
import static io.tcptrace.KernelTestSupport.connectFromChild;
import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.connectRefusedFromBoundPort;
import static io.tcptrace.KernelTestSupport.gettid;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static io.tcptrace.KernelTestSupport.tracepointMode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema;
import io.tcptrace.event.Outcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kernel source against the real kernel: exact events for connects this test makes, in the
 * test run's probe mode (-Dtcptrace.test.probe); outcome and latency exist in tracepoint mode only.
 */
class ConnectTracerTest {
    private static final long PID = ProcessHandle.current().pid();
    // Connect events only: the accept and close of the same connections are ConnectionLifecycleTest's.
    private static final TestConfig TRACE_SELF = TestConfig.defaults().withExcludeOwnPid(false)
            .with(c -> c.setEvents("connect"));

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void refusedIpv4ConnectGivesTheExactEvent() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF)) {
            int port = refusedPort();
            Instant before = Instant.now();
            int sport = connectRefusedFromBoundPort("127.0.0.1", port);
            long tid = gettid();
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port);
            assertEquals(1, found.size(), "exactly one event for one connect: " + found);
            ConnectionEvent e = found.get(0);
            assertEquals(PID, e.processId());
            assertEquals(tid, e.threadId());
            assertEquals(comm(tid), e.processName());
            assertEquals(0, e.userId());
            assertEquals(cgroupId(), e.cgroupId());
            assertEquals(4, e.ipVersion());
            assertEquals("127.0.0.1", e.srcIp());
            assertEquals("127.0.0.1", e.destIp());
            assertEquals(sport, e.srcPort());
            assertOutcome(Outcome.REFUSED, e);
            assertEquals(KernelTestSupport.probe().name().toLowerCase(), e.probe());
            assertEquals("test-host", e.host());
            if (tracepointMode()) {
                assertTrue(e.latencyMicros() >= 0 && e.latencyMicros() < 1_000_000, e.toString());
            } else {
                assertEquals(-1, e.latencyMicros(), e.toString());
            }
            Instant time = Instant.EPOCH.plusNanos(e.timeMicros() * 1000);
            Duration skew = Duration.between(before, time).abs();
            assertTrue(skew.toMillis() < KernelTestSupport.scaled(1000), "event time " + time + " far from " + before);
            assertEquals(EventSchema.Type.CONNECT, e.type());
            assertEquals("outbound", e.direction());
            // kprobe mode has no outcome; a connect without one counts as allowed.
            assertEquals(tracepointMode() ? "blocked" : "allowed", e.action());
        }
    }

    @Test
    void refusedIpv6ConnectWithKernelChosenPort() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF)) {
            int port = refusedPort();
            connectRefused("::1", port);
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port);
            assertEquals(1, found.size(), found.toString());
            ConnectionEvent e = found.get(0);
            assertEquals(6, e.ipVersion());
            assertEquals("::1", e.srcIp());
            assertEquals("::1", e.destIp());
            assertTrue(e.srcPort() > 0, "source port filled in after SYN_SENT: " + e);
            assertOutcome(Outcome.REFUSED, e);
        }
    }

    @Test
    void establishedConnectReportsTheSocketsRealSourcePort() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF);
                ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            int sport;
            try (Socket client = new Socket()) {
                client.connect(server.getLocalSocketAddress());
                sport = client.getLocalPort();
                server.accept().close();
            }
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == server.getLocalPort());
            assertEquals(1, found.size(), found.toString());
            assertEquals(sport, found.get(0).srcPort());
            assertOutcome(Outcome.ESTABLISHED, found.get(0));
        }
    }

    @Test
    void ownPidIsExcludedByDefaultWhileOthersAreSeen() throws Exception {
        try (TracerHarness h = new TracerHarness(TestConfig.defaults())) {
            int port = refusedPort();
            connectRefused("127.0.0.1", port);
            long child = connectFromChild("127.0.0.1", port);
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port);
            assertEquals(1, found.size(), "only the child's connect: " + found);
            assertEquals(child, found.get(0).processId());
            assertEquals("bash", found.get(0).processName());
            assertTrue(h.tracer.counters().filtered() >= 1, "own connect counted as filtered");
        }
    }

    @Test
    void onlyPidsAndExcludePidsFilters() throws Exception {
        int port = refusedPort();
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withOnlyPids(Set.of(1L)))) {
            connectRefused("127.0.0.1", port);
            assertEquals(List.of(), h.collectFor(300, e -> e.destPort() == port));
            assertTrue(h.tracer.counters().filtered() >= 1);
        }
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withOnlyPids(Set.of(PID)))) {
            connectRefused("127.0.0.1", port);
            assertEquals(1, h.awaitMatching(e -> e.destPort() == port).size());
        }
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withExcludePids(Set.of(PID)))) {
            connectRefused("127.0.0.1", port);
            assertEquals(List.of(), h.collectFor(300, e -> e.destPort() == port));
            assertTrue(h.tracer.counters().filtered() >= 1, "dropped by the filter, not missed");
            connectFromChild("127.0.0.1", port);   // another process still gets through
            assertEquals(1, h.awaitMatching(e -> e.destPort() == port).size());
        }
    }

    @Test
    void uidFilter() throws Exception {
        int port = refusedPort();
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withOnlyUids(Set.of(65534L)))) {
            connectRefused("127.0.0.1", port);
            assertEquals(List.of(), h.collectFor(300, e -> e.destPort() == port));
            assertTrue(h.tracer.counters().filtered() >= 1, "dropped by the filter, not missed");
        }
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withOnlyUids(Set.of(0L)))) {
            connectRefused("127.0.0.1", port);
            assertEquals(1, h.awaitMatching(e -> e.destPort() == port).size());
        }
    }

    @Test
    void destinationPortFilter() throws Exception {
        int wanted = refusedPort();
        int other = refusedPort();
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withDestPorts(Set.of(wanted)))) {
            connectRefused("127.0.0.1", other);
            connectRefused("127.0.0.1", wanted);
            assertEquals(1, h.awaitMatching(e -> e.destPort() == wanted).size());
            assertEquals(List.of(), h.collectFor(200, e -> e.destPort() == other));
        }
    }

    @Test
    void ipVersionFilters() throws Exception {
        int port = refusedPort();
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withIpVersion(6))) {
            connectRefused("127.0.0.1", port);
            connectRefused("::1", port);
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port);
            h.collectFor(200, e -> true);
            assertEquals(List.of(6), h.events.stream().filter(e -> e.destPort() == port).map(ConnectionEvent::ipVersion).toList());
            assertEquals(1, found.size());
        }
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withIpVersion(4))) {
            connectRefused("::1", port);
            connectRefused("127.0.0.1", port);
            h.awaitMatching(e -> e.destPort() == port);
            h.collectFor(200, e -> true);
            assertEquals(List.of(4), h.events.stream().filter(e -> e.destPort() == port).map(ConnectionEvent::ipVersion).toList());
        }
    }

    @Test
    void perfTransportDeliversTheSameEvents() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF.withTransport(Transport.PERF).withBufferPages(64))) {
            assertEquals(Transport.PERF, h.tracer.transport());
            int port = refusedPort();
            int sport = connectRefusedFromBoundPort("127.0.0.1", port);
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port);
            assertEquals(1, found.size());
            assertEquals(sport, found.get(0).srcPort());
            assertOutcome(Outcome.REFUSED, found.get(0));
        }
    }

    /**
     * A connect whose SYN goes unanswered and that the program abandons is "failed", not
     * "refused": the listener's accept queue is full, so the kernel drops further SYNs.
     */
    @Test
    void abandonedConnectIsFailedAndARefusedOneIsRefused() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACE_SELF);
                ServerSocket full = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = full.getLocalPort();
            List<SocketChannel> all = new ArrayList<>();
            try {
                SocketChannel pending = KernelTestSupport.stuckInSynSent(full, 1, all).get(0);
                int sport = ((InetSocketAddress) pending.getLocalAddress()).getPort();
                pending.close();   // abandoned while in SYN_SENT
                List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == port && e.srcPort() == sport);
                assertEquals(1, found.size(), found.toString());
                assertOutcome(Outcome.FAILED, found.get(0));
            } finally {
                KernelTestSupport.closeAll(all);
            }
            int refused = refusedPort();
            connectRefused("127.0.0.1", refused);
            List<ConnectionEvent> found = h.awaitMatching(e -> e.destPort() == refused);
            assertOutcome(Outcome.REFUSED, found.get(0));
        }
    }

    /** The outcome in tracepoint mode; kprobe mode cannot know it and leaves it out. */
    private static void assertOutcome(Outcome expected, ConnectionEvent e) {
        assertEquals(tracepointMode() ? expected : null, e.outcome(), e.toString());
    }
}
