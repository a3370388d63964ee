package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.TestProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connections opened before the tracer started, on the host and inside a network namespace of
 * their own: found by the start-up scan (/proc for the owners, the kernel's TCP iterator in each
 * namespace), then reported by update events and by their close, flagged preexisting, with the
 * processes that hold them and the side that accepted them.
 */
class PreexistingConnectionsTest {
    /** How long the test sweeps once the tracer runs; the clients send until they are stopped. */
    private static final int SECONDS = 4;
    private static final TestConfig UPDATES = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)
            .with(c -> c.setUpdateInterval(1));

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void connectionsOpenBeforeTheStartGetUpdatesAndTheirClose() throws Exception {
        try (TestProgram program = new TestProgram(); TestNetns ns = new TestNetns("older")) {
            List<Pair> pairs = new ArrayList<>();
            try {
                pairs.add(new Pair(program, "", 0));
                pairs.add(new Pair(program, ns.exec(), ns.inode()));
                Thread.sleep(500);   // both connections established and accepted before the tracer exists
                long opening = System.nanoTime();
                try (TracerHarness h = new TracerHarness(UPDATES)) {
                    OpenConnectionSeed.Result seed = h.tracer.openConnectionSeed();
                    assertTrue(seed.found() >= 4, "both sides of both connections found: " + seed);
                    assertTrue(seed.namespaces() >= 2 && seed.notEntered() == 0, seed.toString());
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
                    while (System.nanoTime() < end) {
                        h.tracer.sweepUpdates();
                        h.collectFor(250, e -> false);
                    }
                    for (Pair p : pairs) {
                        p.client.destroy();   // its end closes with the process; the server reads EOF and closes
                        assertTrue(p.client.waitFor(10, TimeUnit.SECONDS));
                        p.served.get(30, TimeUnit.SECONDS);
                    }
                    h.awaitCount(4, e -> e.type() == Type.CLOSE && pairs.stream().anyMatch(p -> p.server.port == e.destPort()));
                    // what a client can have sent since the scan, at 1,000 bytes a second, and a second more
                    long most = ((System.nanoTime() - opening) / 1_000_000_000L + 1) * 1_000;
                    for (Pair p : pairs) {
                        p.check(h.events, most);
                    }
                }
            } finally {
                for (Pair p : pairs) {
                    p.close();
                }
            }
        }
    }

    /** A server and a client of the test program, connected before the tracer, sending 1,000 bytes a second. */
    private static final class Pair {
        final ListeningChild server;
        final Process client;
        final CompletableFuture<Void> served;
        final long netns;

        Pair(TestProgram program, String prefix, long netns) throws Exception {
            this.netns = netns;
            server = new ListeningChild(program, prefix, "127.0.0.1", 0);
            // 1,000 bytes a second for as long as the test lets it (the tracer's compile may take seconds)
            client = new ProcessBuilder("sh", "-c", "exec " + prefix + " " + program.binary + " --send 127.0.0.1 "
                    + server.port + " 10000000 1000").start();
            Thread.sleep(200);   // connected: the server's accept finds it waiting
            served = CompletableFuture.runAsync(() -> {
                try {
                    server.acceptAndClose();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        void check(List<ConnectionEvent> all, long most) {
            List<ConnectionEvent> mine = all.stream().filter(e -> e.destPort() == server.port
                    && (netns == 0 || e.netns() == netns)).toList();
            assertTrue(mine.stream().noneMatch(e -> e.type() == Type.CONNECT || e.type() == Type.ACCEPT),
                    "their handshake was before the start: " + mine);
            for (boolean inbound : new boolean[] {false, true}) {
                String side = (inbound ? "server side " : "client side ") + mine;
                List<ConnectionEvent> updates = mine.stream().filter(e -> e.type() == Type.UPDATE && e.inbound() == inbound)
                        .toList();
                List<ConnectionEvent> closes = mine.stream().filter(e -> e.type() == Type.CLOSE && e.inbound() == inbound)
                        .toList();
                assertTrue(updates.size() >= 1, side);   // UpdateEventsTest checks the interval between them
                assertEquals(1, closes.size(), side);
                ConnectionEvent close = closes.get(0);
                assertTrue(close.preexisting() && updates.stream().allMatch(ConnectionEvent::preexisting), side);
                long pid = inbound ? server.pid : client.pid();
                assertEquals(pid, close.processId(), "the process /proc names as holding it: " + side);
                assertTrue(updates.stream().allMatch(u -> u.processId() == pid), side);
                long counted = inbound ? close.bytesIn() : close.bytesOut();
                // counted from the scan: what the client sent while the test swept, not what it sent before
                assertTrue(counted > 0 && counted <= most, side);
                assertTrue(close.durationMicros() <= most * 1_000L, "duration from the scan: " + side);
                if (netns != 0) {
                    assertEquals(netns, close.netns(), side);
                }
            }
        }

        void close() throws Exception {
            client.destroy();
            server.close();
        }
    }
}
