package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk FIFO: byte-offset cursors that survive a restart, bounded segments, prepend, torn lines. */
class SpoolTest {
    @TempDir
    Path dir;

    private static List<byte[]> records(int from, int to, int pad) {
        List<byte[]> r = new ArrayList<>();
        for (int i = from; i < to; i++) {
            r.add(("{\"n\":" + i + ",\"pad\":\"" + "x".repeat(pad) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        return r;
    }

    private static int n(byte[] record) {
        String s = new String(record, StandardCharsets.UTF_8);
        return Integer.parseInt(s.substring(5, s.indexOf(',')));
    }

    @Test
    void partialCommitsResumeAtTheRightRecordAfterARestart() throws Exception {
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        assertTrue(spool.append(records(0, 5000, 10)));
        spool.flush();
        spool.seal();
        List<Integer> seen = new ArrayList<>();
        for (int round = 0; round < 200; round++) {
            Optional<Spool.Chunk> c = spool.read(300, 1 << 20);
            if (c.isEmpty()) {
                break;
            }
            int take = Math.min(c.get().records().size(), 100 + round % 7); // partial commits
            c.get().records().subList(0, take).forEach(r -> seen.add(n(r)));
            spool.commit(c.get(), take);
            if (round % 5 == 4) {
                spool.close();
                spool = new Spool(dir, Long.MAX_VALUE); // a restart reads the cursor back
            }
        }
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            want.add(i);
        }
        assertEquals(want, seen);
        assertTrue(spool.isEmpty());
    }

    @Test
    void segmentsStayBoundedAndAPrependedOneIsReadFirst() throws Exception {
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        long total = 0;
        long appendBytes = 0;
        for (int i = 0; i < 40; i++) {
            List<byte[]> batch = records(i * 1000, (i + 1) * 1000, 500); // about 20 MiB in all
            appendBytes = 0;
            for (byte[] r : batch) {
                appendBytes += r.length + 1;
            }
            total += appendBytes;
            assertTrue(spool.append(batch));
        }
        spool.flush();
        List<Path> sealed;
        try (Stream<Path> files = Files.list(dir)) {
            sealed = files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        // Bounded: a segment is sealed once it reaches the bound, so it holds at most one append more.
        assertEquals(1, sealed.size(), "20 MiB make one sealed 16 MiB segment and an open rest: " + sealed);
        long size = Files.size(sealed.get(0));
        assertTrue(size >= Spool.SEGMENT_BYTES && size <= Spool.SEGMENT_BYTES + appendBytes, "segment " + size);
        assertEquals(total, size + Files.size(dir.resolve("current.open")), "every byte on disk, in the two files");
        assertEquals(total, spool.bytesOnDisk());
        assertTrue(spool.prepend(records(-5, 0, 1)));
        Spool.Chunk first = spool.read(10, 1 << 20).orElseThrow();
        assertEquals(List.of(-5, -4, -3, -2, -1), first.records().stream().map(SpoolTest::n).toList());
    }

    @Test
    void aRecordCutShortByACrashIsDroppedAndCounted() throws Exception {
        Files.writeString(dir.resolve("current.open"), "{\"n\":1,\"a\":1}\n{\"n\":2,\"a\":1}\n{\"n\":3,\"a");
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        assertEquals(1, spool.tornLines());
        Spool.Chunk c = spool.read(10, 1 << 20).orElseThrow();
        assertEquals(List.of(1, 2), c.records().stream().map(SpoolTest::n).toList());
        assertTrue(c.lastOfSegment());
    }
    @Test
    void aCorruptLineIsMovedAsideOnceAndTheRestOfTheBatchIsSent() throws Exception {
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        assertTrue(spool.append(records(0, 500, 10)));
        spool.seal();
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        // Plant garbage where a disk error or an editor could leave it: before the first record,
        // in the middle, and a line cut short but ended; plus lines that are JSON but not one object.
        List<String> lines = new ArrayList<>(Files.readAllLines(segment));
        lines.add(250, "{\"n\":250,\"pad\":\"xx");
        lines.add(100, "not json at all");
        lines.add(50, "[1,2,3]");
        lines.add(20, "{\"a\":1} {\"b\":2}");
        lines.add(0, "\u0000\u0000\u0000");
        Files.write(segment, lines);
        spool.close();
        spool = new Spool(dir, Long.MAX_VALUE);

        List<Integer> seen = new ArrayList<>();
        Spool.Chunk c = spool.read(1000, 1 << 20).orElseThrow();
        spool.commit(c, 0); // a failed send: the same chunk is read again
        c = spool.read(1000, 1 << 20).orElseThrow();
        assertEquals(500, c.records().size(), "only the bad lines are left out");
        c.records().forEach(r -> seen.add(n(r)));
        spool.commit(c, 120); // a partial commit: the lines after it are read once more
        c = spool.read(1000, 1 << 20).orElseThrow();
        spool.commit(c, c.records().size());
        assertTrue(spool.isEmpty());

        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            want.add(i);
        }
        assertEquals(want, seen);
        assertEquals(5, spool.corruptLines());
        assertEquals(List.of("\u0000\u0000\u0000", "{\"a\":1} {\"b\":2}", "[1,2,3]", "not json at all",
                "{\"n\":250,\"pad\":\"xx"), Files.readAllLines(dir.resolve(Spool.CORRUPT)));
    }
}
