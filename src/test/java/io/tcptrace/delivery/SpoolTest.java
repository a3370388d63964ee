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
        for (int i = 0; i < 40; i++) {
            assertTrue(spool.append(records(i * 1000, (i + 1) * 1000, 500))); // about 20 MiB in all
        }
        spool.flush();
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.filter(p -> p.toString().endsWith(".jsonl")).count() >= 1, "sealed at the size bound");
        }
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
}
