package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import io.tcptrace.SmallFileSystem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool on a real full disk (a 256 KiB tmpfs): every record is either on disk or counted as
 * lost at the moment the disk refused it, the byte count is what the disk holds, one ERROR, and a
 * replay position that cannot be saved does not make replay send the same records again.
 */
class SpoolFullDiskTest {
    @TempDir
    Path tmp;

    private SmallFileSystem fs;
    private Path dir;

    @BeforeEach
    void mount() throws Exception {
        fs = new SmallFileSystem(tmp, 256);
        dir = fs.path().resolve("spool");
    }

    @AfterEach
    void unmount() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    private static byte[] record(int n) {
        return ("{\"n\":" + n + ",\"pad\":\"" + "x".repeat(90) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static int n(byte[] record) {
        String s = new String(record, StandardCharsets.UTF_8);
        return Integer.parseInt(s.substring(5, s.indexOf(',')));
    }

    private long bytesOfFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            long sum = 0;
            for (Path p : files.filter(p -> p.toString().endsWith(".jsonl") || p.toString().endsWith(".open")).toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }

    private List<Integer> readAll(Spool spool) throws Exception {
        List<Integer> seen = new ArrayList<>();
        for (Optional<Spool.Chunk> c; (c = spool.read(100, 1 << 20)).isPresent(); ) {
            c.get().records().forEach(r -> seen.add(n(r)));
            spool.commit(c.get(), c.get().records().size());
        }
        return seen;
    }

    @Test
    void aBurstIntoAFullDiskIsOnDiskOrCountedAtOnceAndLoggedOnce() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Spool spool = new Spool(dir, Long.MAX_VALUE);
            int refused = 0;
            List<Integer> accepted = new ArrayList<>();
            for (int i = 0; i < 50_000; i++) { // 5 MB into 256 KiB, one record at a time as in spool mode
                if (spool.append(List.of(record(i)))) {
                    accepted.add(i);
                } else {
                    refused++;
                    assertEquals(refused, spool.lost(DeliveryStats.Loss.SPOOL_WRITE_FAILED), "counted when refused");
                }
                if (i % 100 == 99) {
                    spool.flush(); // a kernel batch ends
                }
                if (i % 5000 == 0) {
                    assertEquals(bytesOfFiles(), spool.bytesOnDisk(), "bytes on disk, not bytes taken");
                }
            }
            assertTrue(refused > 40_000, "refused " + refused);
            assertEquals(0, spool.lost(DeliveryStats.Loss.SPOOL_FULL));
            assertEquals(bytesOfFiles(), spool.bytesOnDisk());
            assertTrue(spool.bytesOnDisk() <= 256 * 1024, "bytes on disk " + spool.bytesOnDisk());
            long held = spool.heldBytes();
            spool.close(); // the disk is still full: what it held is lost now, and counted
            long lost = spool.lost(DeliveryStats.Loss.SPOOL_WRITE_FAILED);
            assertEquals(held > 0, lost > refused);
            List<String> errors = log.lines().stream().filter(l -> l.startsWith("ERROR")).toList();
            assertEquals(2, errors.size(), "one at the first loss, one at close (within the minute): " + errors);
            assertTrue(errors.get(0).contains("lost 1 records") && errors.get(0).contains("No space left on device"),
                    errors.get(0));
            assertTrue(errors.get(1).contains("spool_write_failed=" + lost), errors.get(1));
            assertEquals(1, log.lines().stream().filter(l -> l.startsWith("WARN") && l.contains("refuses writes")).count(),
                    "the disk's refusal said once: " + log.lines());
            assertFalse(log.contains("takes writes again"), "the disk never took writes again: " + log.lines());

            spool = new Spool(dir, Long.MAX_VALUE);
            spool.seal();
            List<Integer> onDisk = readAll(spool);
            assertEquals(50_000, onDisk.size() + lost, "every record on disk or counted as lost");
            assertEquals(accepted.subList(0, onDisk.size()), onDisk, "what is on disk is what was taken, in order");
        }
    }

    @Test
    void heldRecordsReachTheDiskOnceItHasRoomAgain() throws Exception {
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        Path filler = fs.fill();
        List<byte[]> some = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            some.add(record(i));
        }
        assertTrue(spool.append(some));
        assertFalse(spool.flush(), "the disk refuses");
        assertEquals(0, spool.bytesOnDisk());
        assertTrue(spool.heldBytes() > 0);
        assertFalse(spool.isEmpty());
        Files.delete(filler);
        assertTrue(spool.flush());
        assertEquals(0, spool.heldBytes());
        assertEquals(bytesOfFiles(), spool.bytesOnDisk());
        spool.seal();
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            want.add(i);
        }
        assertEquals(want, readAll(spool));
        assertEquals(0, spool.lost(DeliveryStats.Loss.SPOOL_WRITE_FAILED));
    }

    @Test
    void aReplayPositionTheDiskRefusesIsKeptInMemoryNotSentAgain() throws Exception {
        Spool spool = new Spool(dir, Long.MAX_VALUE);
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            all.add(record(i));
        }
        assertTrue(spool.append(all));
        spool.seal();
        Path filler = fs.fill();
        try (LogCapture log = new LogCapture()) {
            // Replay on the full disk: every commit's position fails to save, and replay still moves on.
            List<Integer> seen = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                Spool.Chunk c = spool.read(100, 1 << 20).orElseThrow();
                c.records().forEach(r -> seen.add(n(r)));
                assertDoesNotThrow(() -> spool.commit(c, c.records().size()));
                assertTrue(spool.cursorUnsaved());
            }
            assertFalse(Files.exists(dir.resolve("cursor.tmp")), "no empty cursor.tmp left behind");
            // A restart while the disk is still full goes back to the last saved position: once per restart.
            spool.close();
            assertTrue(log.contains("could not be saved"), log.lines().toString());
            Spool again = new Spool(dir, Long.MAX_VALUE);
            assertEquals(0, n(again.read(100, 1 << 20).orElseThrow().records().get(0)));
            // Room again: the next commit saves the position, and the rest is read exactly once.
            Files.delete(filler);
            Spool.Chunk c = again.read(500, 1 << 20).orElseThrow();
            again.commit(c, c.records().size());
            assertFalse(again.cursorUnsaved());
            assertEquals("" + c.ends()[c.ends().length - 1], Files.readString(Path.of(c.segment() + ".cursor")));
            List<Integer> rest = readAll(again);
            assertEquals(500, rest.get(0));
            assertEquals(500, rest.size());
            assertTrue(again.isEmpty());
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                want.add(i);
            }
            assertEquals(want, seen);
            List<String> said = log.lines().stream().filter(l -> l.startsWith("ERROR") || l.startsWith("WARN")).toList();
            assertEquals(2, said.size(), "a WARN at the first failure, an ERROR at close (records sent again): " + said);
            assertTrue(said.get(0).startsWith("WARN") && said.get(1).startsWith("ERROR"), said.toString());
            assertTrue(said.stream().allMatch(l -> l.contains("replay position") && l.contains("No space left")),
                    said.toString());
        }
    }
}
