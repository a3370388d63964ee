package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.connectRefusedFromBoundPort;
import static io.tcptrace.KernelTestSupport.openFds;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.Outcome;
import io.tcptrace.kernel.btf.KernelOffsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Loss accounting, detach/attach, cleanup, and clear errors for bad input, on the real kernel. */
class TracerLifecycleTest {
    private static final long PID = ProcessHandle.current().pid();

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void ringBufferLossesAreCountedExactly() throws Exception {
        assertDeliveredPlusLostEqualsSent(Transport.RINGBUF, 3000);
    }

    @Test
    void perfBufferLossesAreCountedExactly() throws Exception {
        assertDeliveredPlusLostEqualsSent(Transport.PERF, 6000);
    }

    private void assertDeliveredPlusLostEqualsSent(Transport transport, int burst) throws Exception {
        int port = refusedPort();
        TestConfig tiny = TestConfig.defaults().withExcludeOwnPid(false).withTransport(transport)
                .withBufferPages(2).withOnlyPids(Set.of(PID)).withDestPorts(Set.of(port));
        try (TracerHarness h = new TracerHarness(tiny)) {
            for (int i = 0; i < burst; i++) {
                connectRefused("127.0.0.1", port);   // no polling meanwhile: the tiny buffer overflows
            }
            h.collectFor(300, e -> true);
            long delivered = h.events.stream().filter(e -> e.destPort() == port).count();
            KernelCounters c = h.tracer.counters();
            assertTrue(c.lostBufferFull() > 0, "a " + burst + "-connect burst must overflow a tiny buffer: " + c);
            assertEquals(burst, delivered + c.lost(), "delivered " + delivered + " + lost " + c);
        }
    }

    /**
     * A data area of 2 pages holds 56 connection records (136 bytes and the kernel's 8-byte header),
     * fewer when the host's process records share it: 2,000 events in rounds of 40 wrap it about 35
     * times, and every event must arrive, each with its own connect's source port. A record running
     * past the area's end (144 does not divide 8,192) is read through a copy, which
     * MappedRingBufferTest checks byte by byte.
     */
    @Test
    void recordsThatWrapPastTheEndOfTheRingBufferArriveWhole() throws Exception {
        int port = refusedPort();
        TestConfig tiny = TestConfig.defaults().withExcludeOwnPid(false).withTransport(Transport.RINGBUF)
                .withBufferPages(2).withOnlyPids(Set.of(PID)).withDestPorts(Set.of(port));
        try (TracerHarness h = new TracerHarness(tiny)) {
            List<Integer> sent = new ArrayList<>();   // a source port may come round again: a list
            for (int round = 0; round < 50; round++) {
                for (int i = 0; i < 40; i++) {   // 40 records fit the area: polled between rounds, none lost
                    sent.add(connectRefusedFromBoundPort("127.0.0.1", port));
                }
                assertEquals(sent.size(), h.awaitCount(sent.size(), e -> e.destPort() == port).size());
            }
            List<Integer> received = new ArrayList<>();
            for (ConnectionEvent e : h.events) {
                assertEquals(PID, e.processId(), e.toString());
                assertEquals("127.0.0.1", e.destIp(), e.toString());
                assertEquals(KernelTestSupport.tracepointMode() ? Outcome.REFUSED : null, e.outcome(), e.toString());
                received.add(e.srcPort());
            }
            assertEquals(0, h.tracer.counters().lost(), h.tracer.counters().toString());
            Collections.sort(sent);
            Collections.sort(received);
            assertEquals(sent, received);
        }
    }

    /** The compile's clang and LLVM code pages are given back once the program is loaded. */
    @Test
    void compilerCodeIsNotLeftResidentAfterTheCompile() throws Exception {
        try (TracerHarness h = new TracerHarness(TestConfig.defaults())) {
            long residentKb = 0;
            boolean code = false;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps"))) {
                if (line.matches("[0-9a-f]+-[0-9a-f]+ .*")) {
                    code = line.contains(" r-xp ") && (line.contains("/libLLVM") || line.contains("/libclang"));
                } else if (code && line.startsWith("Rss:")) {
                    residentKb += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            // About 75 MB while compiling; a few pages may come back if another thread runs LLVM code.
            assertTrue(residentKb < 4096, "libLLVM/libclang code still resident: " + residentKb + " kB");
        }
    }

    @Test
    void closeLeavesNoProgramMapOrProbeBehind() throws Exception {
        long progs = openFds("bpf-prog");
        long maps = openFds("bpf-map");
        long perf = openFds("perf_event");
        long links = openFds("bpf_link");
        try (TracerHarness h = new TracerHarness(TestConfig.defaults())) {
            // the connection probes (tracepoint: inet_sock_set_state, sk_err giving the outcome where the
            // kernel has BTF, else also tcp_receive_reset; kprobe: entry and return on tcp_v4_connect
            // and tcp_v6_connect) and the process context's tracepoints (exec, fork, exit, execve arguments)
            long connection = h.tracer.attachments().stream().map(BpfModule.Attachment::description)
                    .filter(d -> d.startsWith("kprobe ") || d.startsWith("kretprobe ") || d.startsWith("tracepoint tcp:")
                            || d.startsWith("tracepoint sock:") || d.startsWith("raw tracepoint ")).count();
            long tracepoints = KernelOffsets.available() ? 1 : 2;
            assertEquals(h.tracer.probe() == ProbeMode.TRACEPOINT ? tracepoints : 4, connection,
                    h.tracer.attachments().toString());
            assertTrue(h.tracer.attachments().size() > connection, h.tracer.attachments().toString());
            assertTrue(openFds("bpf-prog") > progs);
        }
        assertEquals(progs, openFds("bpf-prog"), "program fds");
        assertEquals(maps, openFds("bpf-map"), "map fds");
        assertEquals(perf, openFds("perf_event"), "perf event (attachment) fds");
        assertEquals(links, openFds("bpf_link"), "raw tracepoint (attachment) fds");
    }

    @Test
    void detachStopsEventsAndAttachResumesThem() throws Exception {
        int port = refusedPort();
        try (TracerHarness h = new TracerHarness(TestConfig.defaults().withExcludeOwnPid(false))) {
            h.tracer.detach();
            assertTrue(!h.tracer.attached());
            connectRefused("127.0.0.1", port);
            assertEquals(List.of(), h.collectFor(300, e -> e.destPort() == port));
            h.tracer.attach();
            connectRefused("127.0.0.1", port);
            assertEquals(1, h.awaitMatching(e -> e.destPort() == port).size());
        }
    }

    @Test
    void kprobeModeWorksOrFailsWithOneClearLine() throws Exception {
        long progs = openFds("bpf-prog");
        TestConfig kprobe = TestConfig.defaults().withProbe(ProbeMode.KPROBE).withExcludeOwnPid(false);
        if (KernelSupport.hasKprobes()) {
            try (TracerHarness h = new TracerHarness(kprobe)) {
                int port = refusedPort();
                connectRefused("127.0.0.1", port);
                assertEquals("kprobe", h.awaitMatching(e -> e.destPort() == port).get(0).probe());
            }
        } else {
            BccException e = assertThrows(BccException.class, () -> new TracerHarness(kprobe));
            assertTrue(e.getMessage().contains("CONFIG_KPROBES") && e.getMessage().contains("probe=tracepoint"),
                    e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line");
        }
        assertEquals(progs, openFds("bpf-prog"));
    }

    @Test
    void compileErrorIsOneClearLineAndLeavesNothing() throws Exception {
        long maps = openFds("bpf-map");
        BccException e = assertThrows(BccException.class, () -> new TracerHarness(TestConfig.defaults()
                .withBpfSource("src/test/resources/bpf-broken/does-not-compile.bpf.c")));
        assertTrue(e.getMessage().contains("failed to compile"), e.getMessage());
        assertEquals(maps, openFds("bpf-map"));
    }

    @Test
    void verifierRejectionNamesTheProgramAndLeavesNothing() throws Exception {
        long progs = openFds("bpf-prog");
        long maps = openFds("bpf-map");
        BccException e = assertThrows(BccException.class, () -> new TracerHarness(TestConfig.defaults()
                .withProbe(ProbeMode.TRACEPOINT).withExcludeOwnPid(false).with(c -> c.setRawTracepoint(false))
                .withBpfSource("src/test/resources/bpf-broken/verifier-rejects.bpf.c")));
        assertTrue(e.getMessage().startsWith("kernel refused BPF program 'tracepoint__sock__inet_sock_set_state'"),
                e.getMessage());
        assertTrue(e.getMessage().contains("verifier log"), e.getMessage());
        assertEquals(progs, openFds("bpf-prog"));
        assertEquals(maps, openFds("bpf-map"));
    }

    @Test
    void badOptionsAreRefusedBeforeTouchingTheKernel() {
        IllegalArgumentException pages = assertThrows(IllegalArgumentException.class,
                () -> TestConfig.defaults().withBufferPages(3000));
        assertTrue(pages.getMessage().contains("power of two"), pages.getMessage());
        // Beyond what the ring buffer's u32 size and a Java buffer over its double mapping can hold.
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> TestConfig.defaults().withBufferPages(1 << 30));
        assertEquals("bufferPages=1073741824 is not a power of two from 2 to 131072: use 1024 (4 MiB), 8192 (32 MiB,"
                + " the default), 32768 (128 MiB)...", huge.getMessage());
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> ProbeMode.parse("kprob"));
        assertEquals("unknown probe mode 'kprob': use auto, tracepoint or kprobe", mode.getMessage());
    }
}
