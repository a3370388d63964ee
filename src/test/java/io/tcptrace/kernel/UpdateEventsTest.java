package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.TestProgram;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Update events of real connections that stay open: a client of another process sends 1,000
 * bytes a second for several update intervals to a server of another process, while the test
 * sweeps as the bcc: consumer does on its clock. Each side gets one update per interval, with
 * counts that grow and a duration so far; the close has the totals.
 */
class UpdateEventsTest {
    private static final int INTERVAL = 2;
    private static final int SECONDS = 7;
    private static final TestConfig UPDATES = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)
            .with(c -> c.setUpdateInterval(INTERVAL));

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void aConnectionOpenSeveralIntervalsGetsUpdatesWithGrowingCounts() throws Exception {
        try (TestProgram program = new TestProgram();
                ListeningChild server = new ListeningChild(program, "", "127.0.0.1", 0);
                TracerHarness h = new TracerHarness(UPDATES)) {
            assertEquals(1_000, ConnectionSweep.periodMillis(INTERVAL), "a quarter interval, at least a second");
            Process client = new ProcessBuilder(program.binary.toString(), "--send", "127.0.0.1",
                    Integer.toString(server.port), Integer.toString(SECONDS * 1_000), "1000").start();
            h.awaitMatching(e -> e.type() == Type.ACCEPT && e.destPort() == server.port);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try {
                    server.acceptAndClose();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS + 2);
            while (System.nanoTime() < end && client.isAlive()) {
                h.tracer.sweepUpdates();
                h.collectFor(250, e -> false);
            }
            assertTrue(client.waitFor(10, TimeUnit.SECONDS));
            served.get(10, TimeUnit.SECONDS);
            List<ConnectionEvent> mine = h.awaitCount(2, e -> e.destPort() == server.port && e.type() == Type.CLOSE);
            mine = h.events.stream().filter(e -> e.destPort() == server.port).toList();
            for (boolean inbound : new boolean[] {false, true}) {
                List<ConnectionEvent> updates = mine.stream().filter(e -> e.type() == Type.UPDATE && e.inbound() == inbound)
                        .toList();
                ConnectionEvent close = mine.stream().filter(e -> e.type() == Type.CLOSE && e.inbound() == inbound)
                        .findFirst().orElseThrow();
                // open about 7 s with a 2 s interval: updates at about 2, 4 and 6 s (a sweep may land late)
                assertTrue(updates.size() >= 2 && updates.size() <= 3, (inbound ? "server " : "client ") + updates);
                long previousBytes = -1;
                long previousDuration = 0;
                for (ConnectionEvent u : updates) {
                    long sent = inbound ? u.bytesIn() : u.bytesOut();
                    assertTrue(sent > previousBytes && sent <= SECONDS * 1_000, "growing counts: " + updates);
                    assertTrue(u.durationMicros() >= previousDuration + (INTERVAL * 1_000_000L) - 100_000,
                            "one per interval: " + updates);
                    assertEquals("allowed", u.action());
                    assertEquals(close.processId(), u.processId(), "the same owner as the close");
                    assertEquals(close.communityId(), u.communityId());
                    assertTrue(u.health() != null && u.health().packetsIn() > 0, u.toString());
                    previousBytes = sent;
                    previousDuration = u.durationMicros();
                }
                assertEquals(SECONDS * 1_000, inbound ? close.bytesIn() : close.bytesOut(), close.toString());
                assertTrue(close.durationMicros() > previousDuration);
            }
        }
    }

    @Test
    void intervalZeroMeansNoUpdateEventsAndNoSweepProgram() {
        try (TracerHarness h = new TracerHarness(UPDATES.with(c -> c.setUpdateInterval(0)))) {
            assertEquals(0, h.tracer.sweepPeriodMillis());
            h.tracer.sweepUpdates();   // does nothing
            assertEquals(List.of(), h.collectFor(200, e -> e.type() == Type.UPDATE));
        }
    }
}
