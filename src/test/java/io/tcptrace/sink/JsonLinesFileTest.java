package io.tcptrace.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import io.tcptrace.SmallFileSystem;
import io.tcptrace.camel.BccConstants;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file sink's writer: rotation by size and by UTC day, and losses on a full disk counted, logged once. */
class JsonLinesFileTest {
    @TempDir
    Path tmp;

    private final DefaultCamelContext context = new DefaultCamelContext();

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-24T23:59:59Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private Exchange line(int n, boolean batchEnd) {
        Exchange e = new DefaultExchange(context);
        e.getMessage().setBody(("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8));
        if (batchEnd) {
            e.getMessage().setHeader(BccConstants.BATCH_END, true);
        }
        return e;
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void rotatesAtTheSizeLimitAndAtMidnightUtc() throws Exception {
        MovableClock clock = new MovableClock();
        JsonLinesFile f = new JsonLinesFile();
        f.setPath(tmp.resolve("tcp-connect.jsonl").toString());
        f.setMaxBytes(30); // "{"n":N}\n" is 8 bytes: three lines fit
        f.setClock(clock);
        f.open();
        for (int i = 0; i < 5; i++) {
            f.process(line(i, true));
        }
        clock.now = Instant.parse("2026-11-25T00:00:01Z");
        f.process(line(5, true));
        f.close();
        assertEquals(List.of("tcp-connect-2026-11-24.1.jsonl", "tcp-connect-2026-11-24.2.jsonl", "tcp-connect.jsonl"),
                files());
        assertEquals(List.of("{\"n\":0}", "{\"n\":1}", "{\"n\":2}"),
                Files.readAllLines(tmp.resolve("tcp-connect-2026-11-24.1.jsonl")));
        assertEquals(List.of("{\"n\":3}", "{\"n\":4}"), Files.readAllLines(tmp.resolve("tcp-connect-2026-11-24.2.jsonl")));
        assertEquals(List.of("{\"n\":5}"), Files.readAllLines(tmp.resolve("tcp-connect.jsonl")));
        assertEquals(6, f.getWritten());
        assertEquals(0, f.getLost());
    }

    @Test
    void aFullDiskLosesLinesThatAreCountedAndLoggedOnce() {
        JsonLinesFile f = new JsonLinesFile();
        f.setPath("/dev/full"); // every write fails with ENOSPC, as on a full disk
        f.open();
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 1000; i++) {
                f.process(line(i, i % 10 == 9));
            }
            assertEquals(1000, f.getLost());
            assertEquals(0, f.getWritten());
            List<String> errors = log.lines().stream().filter(l -> l.startsWith("ERROR")).toList();
            assertEquals(1, errors.size(), "rate-limited: " + errors);
            assertTrue(errors.get(0).contains("file sink lost 10 events"), errors.get(0));
            assertTrue(errors.get(0).contains("No space left on device"), errors.get(0));
        }
    }
    /**
     * Batches of 1,000 lines (about 100 KB, more than the 64 KiB buffer) into a 256 KiB tmpfs: the
     * buffer is written in the middle of batches as well as at their ends, and the disk fills up
     * in the middle of one. Every line must be counted once, as on disk or as lost, and the file
     * must hold exactly the lines counted as written, each whole.
     */
    @Test
    void onARealFullDiskTheCountsAreExactlyWhatIsOnDisk() throws Exception {
        try (SmallFileSystem fs = new SmallFileSystem(tmp, 256); LogCapture log = new LogCapture()) {
            Path out = fs.path().resolve("data").resolve("tcp-connect.jsonl");
            JsonLinesFile f = new JsonLinesFile();
            f.setPath(out.toString());
            f.open();
            String pad = "x".repeat(90);
            int total = 10_000;
            for (int i = 0; i < total; i++) {
                Exchange e = new DefaultExchange(context);
                e.getMessage().setBody(("{\"n\":" + i + ",\"pad\":\"" + pad + "\"}").getBytes(StandardCharsets.UTF_8));
                e.getMessage().setHeader(BccConstants.BATCH_END, i % 1000 == 999);
                f.process(e);
                if (i % 1000 == 999) {
                    assertEquals(i + 1, f.getWritten() + f.getLost(), "after a batch, every line written or lost");
                    assertEquals(f.getWritten(), Files.readAllLines(out).size(), "written = lines in the file");
                }
            }
            f.close();
            List<String> lines = Files.readAllLines(out);
            assertEquals(f.getWritten(), lines.size());
            assertEquals(total, f.getWritten() + f.getLost());
            assertTrue(f.getWritten() > 1000 && f.getLost() > 5000, f.getWritten() + " written, " + f.getLost() + " lost");
            for (int i = 0; i < lines.size(); i++) {
                assertEquals("{\"n\":" + i + ",\"pad\":\"" + pad + "\"}", lines.get(i), "whole lines, in order");
            }
            List<String> errors = log.lines().stream().filter(l -> l.startsWith("ERROR")).toList();
            assertEquals(2, errors.size(), "the first loss, then the rest at close: " + errors);
            assertTrue(errors.get(0).contains("No space left on device"), errors.get(0));
            assertTrue(errors.get(1).contains("(" + f.getLost() + " in total"), errors.get(1));

            // Room again: the next line goes to the file, and nothing written earlier is counted again.
            Files.delete(out);
            long lostBefore = f.getLost();
            f.process(line(-1, true));
            assertEquals(lostBefore, f.getLost());
            assertEquals(List.of("{\"n\":-1}"), Files.readAllLines(out));
            f.close();
        }
    }

    /** A batch whose end never comes (a route filter dropped it): its lines are on disk within the flush interval. */
    @Test
    void linesWithoutABatchEndAreWrittenWithinASecond() throws Exception {
        context.start();
        JsonLinesFile f = new JsonLinesFile();
        f.setCamelContext(context);
        f.setPath(tmp.resolve("events.jsonl").toString());
        f.open();
        try {
            f.write(line(1, false));
            f.write(line(2, false));
            assertEquals(0, Files.size(tmp.resolve("events.jsonl")), "buffered, waiting for the batch's end");
            long deadline = System.nanoTime() + 3 * JsonLinesFile.FLUSH_INTERVAL_MILLIS * 1_000_000L;
            while (Files.size(tmp.resolve("events.jsonl")) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(List.of("{\"n\":1}", "{\"n\":2}"), Files.readAllLines(tmp.resolve("events.jsonl")));
            assertEquals(2, f.getWritten());
        } finally {
            f.close();
            context.stop();
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().contains("file-sink-flush")
                && t.isAlive()), "the flush thread ends with the sink");
    }
}
