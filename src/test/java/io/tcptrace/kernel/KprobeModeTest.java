package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.openFds;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static io.tcptrace.KernelTestSupport.scaled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.LogCapture;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kprobe mode on a kernel that has kprobes (the test-kernels guest, Debian 6.1 with matching
 * headers): a kprobe tracer and a tracepoint tracer attached at the same time see the same
 * connects, and must report them the same, field for field, except what only the tracepoint
 * knows (outcome, latency). Where the kernel has no kprobes (this project's CI host) the class is
 * skipped, unless -Dtcptrace.test.requireKprobes=true (set in the guest) makes that a failure.
 *
 * <p>A kprobe compile takes 30-45 s under the emulator, so the cases share tracers: one kprobe
 * and one probe=auto tracer for the comparisons, the loss count and the clean-up, then one kprobe
 * tracer per filter set. Java's default sockets are AF_INET6, so its IPv4 connects are
 * IPv4-mapped and go through tcp_v6_connect; plain IPv4 needs an AF_INET socket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KprobeModeTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final String V4 = "127.0.0.1";
    private static final String V6 = "::1";

    private TracerHarness kprobe;
    private TracerHarness auto;
    private List<String> openLog;
    private long perfFdsBefore;
    private long progFdsBefore;

    @BeforeAll
    void open() throws IOException {
        KernelTestSupport.requireKernel();
        if (!KernelSupport.hasKprobes()) {
            if (Boolean.getBoolean("tcptrace.test.requireKprobes")) {
                fail("this kernel has no kprobes, but -Dtcptrace.test.requireKprobes=true");
            }
            Assumptions.abort("this kernel has no kprobes: kprobe mode is tested by ./tcptrace test-kernels");
        }
        perfFdsBefore = openFds("perf_event");
        progFdsBefore = openFds("bpf-prog");
        // A tiny buffer (2 pages, about 80 events) for the loss count; the other cases poll promptly.
        TestConfig self = TestConfig.defaults().withExcludeOwnPid(false).withOnlyPids(Set.of(PID));
        try (LogCapture log = new LogCapture()) {
            kprobe = TracerHarness.exactly(self.withProbe(ProbeMode.KPROBE).withBufferPages(2));
            auto = TracerHarness.exactly(self.withProbe(ProbeMode.AUTO));
            openLog = log.lines();
        }
    }

    @AfterAll
    void close() {
        if (kprobe != null) {
            kprobe.close();
        }
        if (auto != null) {
            auto.close();
        }
    }

    @Test
    @Order(1)
    void kprobeModeUsesMatchingHeadersWithoutWarningAndProbeAutoStillChoosesTheTracepoint() {
        assertEquals(KernelHeaders.Status.MATCHING, KernelHeaders.prepare(TracerHarness.CACHE));
        assertEquals(List.of(), openLog.stream().filter(l -> l.startsWith("WARN")).toList(), "no WARN at start-up");
        assertEquals(ProbeMode.KPROBE, kprobe.tracer.probe());
        assertEquals(List.of("kprobe tcp_v4_connect", "kretprobe tcp_v4_connect", "kprobe tcp_v6_connect",
                "kretprobe tcp_v6_connect"), kprobes(kprobe));
        assertEquals(ProbeMode.TRACEPOINT, auto.tracer.probe(), "probe=auto on a kernel with both");
    }

    @Test
    @Order(2)
    void kprobeEventsEqualTracepointEventsForIpv4Ipv6AndMappedConnects() throws Exception {
        int v4port = refusedPort();
        int v6port = refusedPort();
        int mappedPort = refusedPort();
        int v4sport = connectRefused(StandardProtocolFamily.INET, V4, V4, v4port);
        int v6sport = connectRefused(StandardProtocolFamily.INET6, V6, V6, v6port);
        int mappedSport = connectRefused(StandardProtocolFamily.INET6, V4, V4, mappedPort);
        int establishedPort;
        int establishedSport;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET6)) {
            server.bind(new InetSocketAddress(V6, 0));
            establishedPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.INET6)) {
                client.connect(server.getLocalAddress());   // no bind: the kernel chooses the source port
                establishedSport = ((InetSocketAddress) client.getLocalAddress()).getPort();
                server.accept().close();
            }
        }
        assertSameEvent(v4port, 4, V4, v4sport);
        assertSameEvent(v6port, 6, V6, v6sport);
        assertSameEvent(mappedPort, 4, V4, mappedSport);
        assertSameEvent(establishedPort, 6, V6, establishedSport);
    }

    @Test
    @Order(3)
    void kprobeLossesAreCountedExactly() throws Exception {
        int port = refusedPort();
        int burst = 1000;
        for (int i = 0; i < burst; i++) {
            connectRefused(StandardProtocolFamily.INET, V4, V4, port);   // no polling: 2 pages overflow
        }
        kprobe.collectFor(500, e -> true);
        long delivered = kprobe.events.stream().filter(e -> e.destPort() == port).count();
        KernelCounters c = kprobe.tracer.counters();
        assertTrue(c.lostBufferFull() > 0, "a " + burst + "-connect burst must overflow 2 pages: " + c);
        assertEquals(burst, delivered + c.lost(), "delivered " + delivered + " + lost " + c);
    }

    @Test
    @Order(4)
    void kprobeAndTracepointTracersLeaveNothingAttachedAfterClose() throws IOException {
        kprobe.close();
        auto.close();
        kprobe = null;
        auto = null;
        assertNothingAttached();
        assertEquals(perfFdsBefore, openFds("perf_event"), "perf event (attachment) fds");
        assertEquals(progFdsBefore, openFds("bpf-prog"), "program fds");
    }

    /** ipVersion=4 probes tcp_v4_connect only; a mapped connect reaches it inside tcp_v6_connect. */
    @Test
    @Order(5)
    void kprobeFiltersIpv4OnlyPidsUidsAndPortsKeepMappedConnects() throws Exception {
        int port = refusedPort();
        int other = refusedPort();
        TestConfig config = TestConfig.defaults().withProbe(ProbeMode.KPROBE).withExcludeOwnPid(false)
                .withIpVersion(4).withOnlyPids(Set.of(PID)).withOnlyUids(Set.of(0L)).withDestPorts(Set.of(port));
        try (TracerHarness h = new TracerHarness(config)) {
            assertEquals(List.of("tcp_v4_connect"), kernelFunctions(h));
            int plain = connectRefused(StandardProtocolFamily.INET, V4, V4, port);
            int mapped = connectRefused(StandardProtocolFamily.INET6, V4, V4, port);
            connectRefused(StandardProtocolFamily.INET6, V6, V6, port);      // IPv6: not probed at all
            connectRefused(StandardProtocolFamily.INET, V4, V4, other);      // other port
            KernelTestSupport.connectFromChild(V4, port);                    // other process
            h.collectFor(500, e -> true);
            List<ConnectionEvent> seen = h.events.stream().filter(e -> e.destPort() == port || e.destPort() == other)
                    .toList();
            assertEquals(List.of(plain, mapped), seen.stream().map(ConnectionEvent::srcPort).toList(), seen.toString());
            assertTrue(seen.stream().allMatch(e -> e.ipVersion() == 4 && e.destIp().equals(V4)
                    && e.srcIp().equals(V4) && e.processId() == PID), seen.toString());
            assertTrue(h.tracer.counters().filtered() >= 2, "other port and other process: " + h.tracer.counters());
        }
        assertNothingAttached();
    }

    /** ipVersion=6 drops a mapped connect (it is IPv4 on the wire) although it enters tcp_v6_connect. */
    @Test
    @Order(6)
    void kprobeFiltersIpv6ExcludedPidsUidsAndPortsDropMappedConnects() throws Exception {
        int port = refusedPort();
        int other = refusedPort();
        TestConfig config = TestConfig.defaults().withProbe(ProbeMode.KPROBE).withIpVersion(6)
                .withOnlyUids(Set.of(0L)).withDestPorts(Set.of(port));   // excludes its own pid by default
        try (TracerHarness h = new TracerHarness(config)) {
            assertEquals(List.of("tcp_v6_connect"), kernelFunctions(h));
            long child = KernelTestSupport.connectFromChild(V6, port);
            KernelTestSupport.connectFromChild("::ffff:127.0.0.1", port);     // mapped
            KernelTestSupport.connectFromChild(V6, other);                     // other port
            connectFromChildAs(65534, V6, port);                               // other user
            connectRefused(StandardProtocolFamily.INET6, V6, V6, port);        // own pid
            h.collectFor(500, e -> true);
            List<ConnectionEvent> seen = h.events.stream().filter(e -> e.destPort() == port || e.destPort() == other)
                    .toList();
            assertEquals(1, seen.size(), seen.toString());
            ConnectionEvent e = seen.get(0);
            assertEquals(List.of(child, "bash", 0L, 6, V6, V6, "kprobe"),
                    List.of(e.processId(), e.processName(), e.userId(), e.ipVersion(), e.srcIp(), e.destIp(), e.probe()));
            assertTrue(h.tracer.counters().filtered() >= 4, "mapped, other port, other user, own pid: "
                    + h.tracer.counters());
        }
        assertNothingAttached();
    }

    /** One connect seen by both tracers: the same event but for what only the tracepoint can know. */
    private void assertSameEvent(int port, int ipVersion, String address, int sport) {
        ConnectionEvent t = only(auto, port);
        ConnectionEvent k = only(kprobe, port);
        assertEquals("tracepoint", t.probe());
        assertEquals("kprobe", k.probe());
        assertEquals(List.of(ipVersion, address, sport, address, port, PID),
                List.of(k.ipVersion(), k.srcIp(), k.srcPort(), k.destIp(), k.destPort(), k.processId()), k.toString());
        assertTrue(k.context() != null && k.context().processPath() != null, "kprobe mode has the process context: " + k);
        assertEquals(fields(t), fields(k), "kprobe " + k + " vs tracepoint " + t);
        assertNull(k.outcome());
        assertEquals(-1, k.latencyMicros());
        // Both stamp the start of the connect: the kprobe at tcp_v*_connect entry, the tracepoint
        // at the move to SYN_SENT a few instructions later.
        assertTrue(Math.abs(t.timeMicros() - k.timeMicros()) < scaled(50) * 1000, k.timeMicros() + " vs " + t.timeMicros());
    }

    private static List<Object> fields(ConnectionEvent e) {
        return Arrays.asList(e.type(), e.inbound(), e.ipVersion(), e.srcIp(), e.srcPort(), e.destIp(), e.destPort(),
                e.processId(), e.threadId(), e.processName(), e.userId(), e.cgroupId(), e.host(), e.durationMicros(),
                e.bytesIn(), e.bytesOut(), e.context());
    }

    private static ConnectionEvent only(TracerHarness h, int port) {
        List<ConnectionEvent> found = h.awaitMatching(e -> isConnect(e, port));
        h.collectFor(100, e -> true);
        found = h.events.stream().filter(e -> isConnect(e, port)).toList();
        assertEquals(1, found.size(), h.tracer.probe() + " events for port " + port + ": " + found);
        return found.get(0);
    }

    /** The probe=auto tracer also sees the accept and close of an established connection. */
    private static boolean isConnect(ConnectionEvent e, int port) {
        return e.type() == Type.CONNECT && e.destPort() == port;
    }

    /** The kprobe attachments; the process context's tracepoints are attached in either mode. */
    private static List<String> kprobes(TracerHarness h) {
        return h.tracer.attachments().stream().map(BpfModule.Attachment::description)
                .filter(d -> d.startsWith("kprobe ") || d.startsWith("kretprobe ")).toList();
    }

    private static List<String> kernelFunctions(TracerHarness h) {
        return kprobes(h).stream().map(d -> d.replaceFirst("^\\S+ ", "")).distinct().toList();
    }

    /** No kprobe of ours is left in the kernel: neither a kprobe_events entry nor a registered probe. */
    private static void assertNothingAttached() throws IOException {
        Path tracing = KernelSupport.tracefs().orElseThrow();
        List<String> ours = new ArrayList<>(Files.readAllLines(tracing.resolve("kprobe_events")).stream()
                .filter(l -> l.contains("_tcptrace_" + PID)).toList());
        Path registered = Path.of("/sys/kernel/debug/kprobes/list");
        if (Files.isReadable(registered)) {
            Files.readAllLines(registered).stream()
                    .filter(l -> l.contains(" tcp_v4_connect+") || l.contains(" tcp_v6_connect+")).forEach(ours::add);
        }
        assertEquals(List.of(), ours, "kprobes left attached");
    }

    /** A connect from an explicitly bound source through a socket of the given family; refused. Returns the source port. */
    private static int connectRefused(ProtocolFamily family, String bind, String address, int port) throws IOException {
        try (SocketChannel ch = boundToAnotherPort(family, InetAddress.getByName(bind), port)) {
            int sport = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            try {
                ch.connect(new InetSocketAddress(InetAddress.getByName(address), port));
                fail("connect to " + address + ":" + port + " was expected to be refused");
            } catch (ConnectException expected) {
                // refused
            }
            return sport;
        }
    }

    /** Bound to the port it connects to, a socket would connect to itself (simultaneous open), not be refused. */
    private static SocketChannel boundToAnotherPort(ProtocolFamily family, InetAddress bind, int port) throws IOException {
        while (true) {
            SocketChannel ch = SocketChannel.open(family);
            ch.bind(new InetSocketAddress(bind, 0));
            if (((InetSocketAddress) ch.getLocalAddress()).getPort() != port) {
                return ch;
            }
            ch.close();
        }
    }

    /** bash's /dev/tcp connect as another user (setpriv from util-linux). */
    private static void connectFromChildAs(int uid, String address, int port) throws Exception {
        Process p = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "bash", "-c",
                "exec 3<>/dev/tcp/" + address + "/" + port + " || true").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "setpriv");
    }
}
