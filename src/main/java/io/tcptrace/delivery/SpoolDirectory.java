package io.tcptrace.delivery;

import io.tcptrace.ops.FileModes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The files of one spool directory, as its writer and its reader share them: JSON Lines segments
 * named by a sequence number ({@code 00000000001000000000.jsonl}), oldest first, and their byte
 * count. The writer turns {@value #OPEN} into the next segment; the reader consumes and deletes
 * the oldest and may put one in front of all. Thread-safe: the two run on different threads.
 */
final class SpoolDirectory {
    static final String OPEN = "current.open";
    static final String CURSOR = ".cursor";
    static final String SUFFIX = ".jsonl";
    // Segment numbers start high so that a segment can always be numbered below the oldest.
    private static final long FIRST_SEQ = 1_000_000_000L;

    private final Path dir;
    private final AtomicLong sealedBytes = new AtomicLong();
    private final AtomicLong nextSeq = new AtomicLong(FIRST_SEQ);
    /** Segments this run wrote and sealed with every write whole: read without the line check. */
    private final Set<Path> writtenWhole = ConcurrentHashMap.newKeySet();

    SpoolDirectory(Path dir) throws IOException {
        this.dir = FileModes.createDirectories(dir, FileModes.PRIVATE_DIR);
        for (Path p : segments()) {
            nextSeq.accumulateAndGet(seqOf(p) + 1, Math::max);
            sealedBytes.addAndGet(Files.size(p));
        }
        Files.deleteIfExists(dir.resolve("prepend.tmp")); // a prepend cut short by a crash
        Files.deleteIfExists(dir.resolve("cursor.tmp"));
    }

    Path dir() {
        return dir;
    }

    /** Sealed segments, oldest first. */
    List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    long sealedBytes() {
        return sealedBytes.get();
    }

    /** Renames {@code open} into the next segment; {@code whole}: every line in it is a whole record. */
    Path seal(Path open, boolean whole) throws IOException {
        Path sealed = segmentPath(nextSeq.getAndIncrement());
        Files.move(open, sealed, StandardCopyOption.ATOMIC_MOVE);
        if (whole) {
            writtenWhole.add(sealed);
        }
        sealedBytes.addAndGet(Files.size(sealed));
        return sealed;
    }

    /** Moves a file in as a segment before every other one. */
    void placeFirst(Path file, long bytes) throws IOException {
        List<Path> segs = segments();
        long seq = Math.min(nextSeq.get(), segs.isEmpty() ? Long.MAX_VALUE : seqOf(segs.get(0))) - 1;
        Files.move(file, segmentPath(seq), StandardCopyOption.ATOMIC_MOVE);
        sealedBytes.addAndGet(bytes);
    }

    /** Moves a file in as the newest segment. */
    void placeLast(Path file, long bytes) throws IOException {
        Files.move(file, segmentPath(nextSeq.getAndIncrement()), StandardCopyOption.ATOMIC_MOVE);
        sealedBytes.addAndGet(bytes);
    }

    /** A segment read to its end: deleted with its replay position. */
    void delete(Path seg) throws IOException {
        long size = Files.size(seg);
        Files.delete(seg);
        writtenWhole.remove(seg);
        sealedBytes.addAndGet(-size);
        Files.deleteIfExists(cursorOf(seg));
    }

    /** A segment moved to another spool (its bytes go with it). */
    void forget(Path seg, long bytes) {
        writtenWhole.remove(seg);
        sealedBytes.addAndGet(-bytes);
    }

    boolean writtenWhole(Path seg) {
        return writtenWhole.contains(seg);
    }

    Path cursorOf(Path seg) {
        return seg.resolveSibling(seg.getFileName() + CURSOR);
    }

    private Path segmentPath(long seq) {
        return dir.resolve(String.format(Locale.ROOT, "%020d%s", seq, SUFFIX));
    }

    private static long seqOf(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
    }

    /** One gathering write of records, each followed by a newline. */
    static void writeAll(FileChannel ch, List<byte[]> records) throws IOException {
        ByteBuffer[] parts = new ByteBuffer[records.size() * 2];
        ByteBuffer newline = ByteBuffer.wrap(new byte[] {'\n'});
        for (int i = 0; i < records.size(); i++) {
            parts[2 * i] = ByteBuffer.wrap(records.get(i));
            parts[2 * i + 1] = newline.duplicate();
        }
        long left = bytesOf(records);
        while (left > 0) {
            left -= ch.write(parts);
        }
    }

    /** Bytes of records as written: each with its newline. */
    static long bytesOf(List<byte[]> records) {
        long bytes = 0;
        for (byte[] r : records) {
            bytes += r.length + 1;
        }
        return bytes;
    }
}
