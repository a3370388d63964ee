package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.Outcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connects in SYN_SENT, kept by the program until their outcome is known, more than it has room
 * for: each one that does not fit is counted in lostUntracked and has no event; the others have
 * theirs, and once they leave SYN_SENT the room is there again. Tracepoint mode on any test line:
 * kprobe mode keeps a connect only for the length of the connect() call.
 */
class PendingMapOverflowTest {
    private static final long PID = ProcessHandle.current().pid();

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void slotsAreAPowerOfTwoUpToPendingMaxAndAtMost4096() {
        assertEquals(0, ConnectTracer.pendingSlotBits(1));
        assertEquals(1, ConnectTracer.pendingSlotBits(3));
        assertEquals(11, ConnectTracer.pendingSlotBits(4095));
        assertEquals(12, ConnectTracer.pendingSlotBits(4096));
        assertEquals(12, ConnectTracer.pendingSlotBits(TracerConfiguration.DEFAULT_PENDING_MAX));
    }

    /**
     * Connects in SYN_SENT are kept in a slot (one here: pendingMax=1) and, when the slot is taken,
     * in the pending map (one entry); a third at the same time is counted as lost. The second
     * round finds both places free again. Without BPF atomics there is no slot.
     */
    @Test
    void connectsBeyondTheSlotGoToThePendingMapAndBeyondThatAreCounted() throws Exception {
        int kept = KernelSupport.hasBpfAtomics() ? 2 : 1;
        try (TracerHarness h = new TracerHarness(TestConfig.defaults().with(c -> c.setProbe(ProbeMode.TRACEPOINT)).withExcludeOwnPid(false).with(c -> c.setEvents("connect")).withOnlyPids(Set.of(PID)).with(c -> c.setPendingMax(1)))) {
            for (int round = 1; round <= 2; round++) {
                try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                    int port = full.getLocalPort();
                    List<SocketChannel> all = new ArrayList<>();
                    List<Integer> sports = new ArrayList<>();
                    try {
                        for (SocketChannel c : KernelTestSupport.stuckInSynSent(full, 3, all)) {
                            sports.add(((InetSocketAddress) c.getLocalAddress()).getPort());
                        }
                    } finally {
                        KernelTestSupport.closeAll(all);
                    }
                    Set<Integer> tracked = Set.copyOf(sports.subList(0, kept));
                    h.awaitCount(kept, e -> e.destPort() == port && tracked.contains(e.srcPort()));
                    h.collectFor(300, e -> true);   // time for an event that should not come
                    List<ConnectionEvent> stuck = h.events.stream()
                            .filter(e -> e.destPort() == port && sports.contains(e.srcPort())).toList();
                    assertEquals(tracked, stuck.stream().map(ConnectionEvent::srcPort).collect(Collectors.toSet()),
                            "round " + round + ": the first connects are the ones kept: " + stuck);
                    assertEquals(kept, stuck.size(), stuck.toString());
                    stuck.forEach(e -> assertEquals(Outcome.FAILED, e.outcome(), e.toString()));
                    assertEquals(round * (3 - kept), h.tracer.counters().lostUntracked(),
                            "round " + round + ": the connect with no room is counted");
                }
            }
        }
    }
}
