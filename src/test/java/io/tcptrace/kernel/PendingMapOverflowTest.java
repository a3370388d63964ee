package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.Outcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private static final TestConfig ONE_PENDING = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)
            .withExcludeOwnPid(false).with(c -> c.setEvents("connect")).withOnlyPids(Set.of(PID))
            .with(c -> c.setPendingMax(1));

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    /**
     * Connects in SYN_SENT are kept in a slot (one here: pendingMax=1) and, when the slot is taken,
     * in the pending map (one entry); a third at the same time is counted as lost. The second
     * round finds both places free again, and after each round the kernel side holds nothing.
     * Where this machine cannot have slots ({@link PendingSlots}) the map alone keeps one.
     */
    @Test
    void connectsBeyondTheSlotGoToThePendingMapAndBeyondThatAreCounted() throws Exception {
        Optional<String> noSlots = PendingSlots.missingHere();
        boolean slots = noSlots.isEmpty();
        // Found here without PendingSlots: an x86_64 kernel of 5.12+ and a libbcc on LLVM 12+ must get them.
        if (System.getProperty("os.arch").equals("amd64") && KernelSupport.kernelAtLeast(System.getProperty("os.version"), 5, 12)
                && KernelTestSupport.libbccLlvmByLdd() >= 12) {
            assertTrue(slots, "slots expected on this machine, but: " + noSlots);
        }
        int kept = slots ? 2 : 1;
        try (TracerHarness h = new TracerHarness(ONE_PENDING)) {
            for (int round = 1; round <= 2; round++) {
                threeStuckConnects(h, round, kept);
                assertEquals(0, h.tracer.map("pending").countKeys(), "round " + round + ": the map is empty again");
                if (slots) {
                    byte[] slot = h.tracer.map("pending_slots").lookup(new byte[4]);   // the only slot, index 0
                    assertEquals(0, ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN).getLong(0),
                            "round " + round + ": the slot is free again (its owner is 0)");
                }
            }
        }
    }

    /** Three connects held in SYN_SENT at once, then abandoned: the first {@code kept} have their event. */
    private static void threeStuckConnects(TracerHarness h, int round, int kept) throws Exception {
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
