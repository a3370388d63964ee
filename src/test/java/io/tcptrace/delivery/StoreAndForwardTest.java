package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delivery engine against a scripted destination: order, no loss, no duplicates, no blocking. */
class StoreAndForwardTest {
    @TempDir
    Path tmp;

    /** A destination the test can take down, make refuse records, and inspect. */
    static final class Destination implements BatchSender {
        final List<String> received = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        volatile boolean down;
        volatile String poison;
        volatile long delayMillis;

        @Override
        public Result send(List<byte[]> batch) {
            if (down) {
                return Result.retry("connection refused");
            }
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            batchSizes.add(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                String r = new String(batch.get(i), StandardCharsets.UTF_8);
                if (r.equals(poison)) {
                    return Result.rejected(i, 1, "HTTP 400, HEC code 6");
                }
                received.add(r);
            }
            return Result.delivered(batch.size());
        }

        @Override
        public boolean healthy() {
            return !down;
        }

        @Override
        public String name() {
            return "test";
        }
    }

    private StoreAndForward engine(Destination d, long maxSpoolBytes) throws Exception {
        StoreAndForward s = new StoreAndForward();
        s.setSender(d);
        s.setSpoolDir(tmp.toString());
        s.setQueueCapacity(1000);
        s.setMaxBatchEvents(100);
        s.setLingerMillis(20);
        s.setRetryBaseMillis(20);
        s.setRetryMaxMillis(100);
        s.setMaxSpoolBytes(maxSpoolBytes);
        s.start();
        return s;
    }

    private static byte[] rec(int i) {
        return ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> expected(int from, int to) {
        List<String> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add("{\"n\":" + i + "}");
        }
        return l;
    }

    /** Like assertEquals, but names the first difference instead of printing thousands of records. */
    private static void assertSameRecords(List<String> want, List<String> got) {
        List<String> g = new ArrayList<>(got);
        for (int i = 0; i < Math.min(want.size(), g.size()); i++) {
            assertEquals(want.get(i), g.get(i), "record " + i + " of " + g.size() + " (want " + want.size() + "); got around it: "
                    + g.subList(Math.max(0, i - 3), Math.min(g.size(), i + 4)));
        }
        assertEquals(want.size(), g.size(), "records received");
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }

    @Test
    void deliversEverythingInOrderInBoundedBatches() throws Exception {
        Destination d = new Destination();
        StoreAndForward s = engine(d, 1 << 30);
        for (int i = 0; i < 5000; i++) {
            s.offer(rec(i), i % 500 == 499);
        }
        await(() -> d.received.size() == 5000);
        s.stop();
        assertSameRecords(expected(0, 5000), d.received);
        assertTrue(d.batchSizes.stream().allMatch(n -> n <= 100), d.batchSizes.toString());
        assertEquals(5000, s.getDelivered()); // a burst past the memory queue went through the spool, in order
    }

    @Test
    void anOutageSpoolsWithoutBlockingAndReplaysExactlyOnceInOrder() throws Exception {
        Destination d = new Destination();
        StoreAndForward s = engine(d, 1 << 30);
        for (int i = 0; i < 300; i++) {
            s.offer(rec(i), true);
        }
        await(() -> d.received.size() == 300);
        d.down = true;
        long worst = 0;
        for (int i = 300; i < 20_300; i++) {
            long t = System.nanoTime();
            s.offer(rec(i), i % 100 == 99);
            worst = Math.max(worst, System.nanoTime() - t);
        }
        assertTrue(worst < 200_000_000L, "offer blocked for " + worst / 1_000_000 + " ms");
        assertTrue(s.getSpooled() > 0, "an outage spools");
        d.down = false;
        await(() -> d.received.size() == 20_300);
        s.stop();
        assertSameRecords(expected(0, 20_300), d.received);
        assertTrue(s.getRetries() > 0);
        assertEquals(0, s.getLostSpoolFull());
    }

    @Test
    void aSlowDestinationOverflowsToTheSpoolAndCatchesUpInOrder() throws Exception {
        Destination d = new Destination();
        d.delayMillis = 5; // about 20,000 records/s at 100 per batch: slower than the offers
        StoreAndForward s = engine(d, 1 << 30);
        for (int i = 0; i < 20_000; i++) {
            s.offer(rec(i), i % 64 == 63);
        }
        assertTrue(s.getSpooled() > 0, "the memory queue overflowed");
        await(() -> d.received.size() == 20_000);
        s.stop();
        assertSameRecords(expected(0, 20_000), d.received);
        assertEquals(0, s.getSpoolBytes());
    }

    @Test
    void aRefusedRecordIsDeadLetteredAndTheRestDeliveredOnce() throws Exception {
        Destination d = new Destination();
        d.poison = "{\"n\":42}";
        StoreAndForward s = engine(d, 1 << 30);
        for (int i = 0; i < 100; i++) {
            s.offer(rec(i), true);
        }
        await(() -> d.received.size() == 99);
        s.stop();
        List<String> want = expected(0, 100);
        want.remove("{\"n\":42}");
        assertEquals(want, d.received);
        assertEquals(1, s.getDeadLettered());
        List<String> dead = Files.readAllLines(Files.list(tmp.resolve("dead-letter"))
                .filter(p -> p.toString().endsWith(".open")).findFirst().orElseThrow());
        assertEquals(List.of("{\"n\":42}"), dead);
    }

    @Test
    void whatIsLeftAtStopIsReplayedByTheNextStart() throws Exception {
        Destination d = new Destination();
        d.down = true;
        StoreAndForward s = engine(d, 1 << 30);
        for (int i = 0; i < 1000; i++) {
            s.offer(rec(i), i % 100 == 99);
        }
        s.stop();
        assertEquals(List.of(), d.received);
        d.down = false;
        StoreAndForward next = engine(d, 1 << 30);
        await(() -> d.received.size() == 1000);
        next.stop();
        assertEquals(expected(0, 1000), d.received);
    }

    @Test
    void aFullSpoolCountsWhatItLoses() throws Exception {
        Destination d = new Destination();
        d.down = true;
        StoreAndForward s = engine(d, 2000);
        s.setQueueCapacity(10);
        for (int i = 0; i < 1000; i++) {
            s.offer(rec(i), true);
        }
        s.stop();
        assertTrue(s.getLostSpoolFull() > 0);
        assertEquals(1000, s.getSpooled() + s.getLostSpoolFull() + s.getDelivered(),
                "every record is spooled, delivered or counted lost");
    }

    @Test
    void aRecordCutShortByAHardKillIsDroppedAndCounted() throws Exception {
        Path spoolDir = Files.createDirectories(tmp.resolve("spool"));
        Files.writeString(spoolDir.resolve("current.open"), "{\"n\":0}\n{\"n\":1}\n{\"n\":");
        Destination d = new Destination();
        StoreAndForward s = engine(d, 1 << 30);
        await(() -> d.received.size() == 2);
        s.stop();
        assertEquals(expected(0, 2), d.received);
        assertEquals(1, s.getLostSpoolFull());
    }
}
