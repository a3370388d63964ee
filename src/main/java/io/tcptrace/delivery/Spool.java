package io.tcptrace.delivery;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Records on disk, first in first out: JSON Lines segment files in one directory. Records are
 * appended to {@code current.open}; {@link #seal()} turns it into the next numbered segment,
 * which the reader then consumes batch by batch, remembering its position in a
 * {@code SEGMENT.cursor} file beside it so a restart resumes where delivery stopped.
 * {@link #prepend} adds a segment in front of all others. A segment left open by a crash is
 * sealed on start; a last line cut short by the crash is dropped and counted.
 *
 * <p>Not thread-safe: {@link DeliveryProducer} serialises access.
 */
final class Spool {
    private static final String OPEN = "current.open";
    private static final String CURSOR = ".cursor";
    private static final String SUFFIX = ".jsonl";
    // Segment numbers start high so that prepend() can always number a segment below the oldest.
    private static final long FIRST_SEQ = 1_000_000_000L;
    private static final long SEGMENT_BYTES = 16L << 20;

    private final Path dir;
    private final long maxBytes;
    private OutputStream out;
    private long openBytes;
    private long sealedBytes;
    private long nextSeq;
    private long tornLines;

    /**
     * A batch read from the oldest segment: its records, the byte offset it started at and the
     * offset after each record (so a partial commit knows where to resume), and whether it
     * reached the segment's end.
     */
    record Chunk(Path segment, long startOffset, List<byte[]> records, long[] ends, boolean lastOfSegment) {
    }

    Spool(Path dir, long maxBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.maxBytes = maxBytes;
        Path open = dir.resolve(OPEN);
        nextSeq = FIRST_SEQ;
        for (Path p : segments()) {
            nextSeq = Math.max(nextSeq, seqOf(p) + 1);
            sealedBytes += Files.size(p);
        }
        if (Files.exists(open) && Files.size(open) > 0) {
            sealFile(open);
        }
        Files.deleteIfExists(open);
        Files.deleteIfExists(dir.resolve("prepend.tmp")); // a prepend cut short by a crash
    }

    /** Appends records; false (nothing written) when over maxBytes or the disk refuses. */
    boolean append(List<byte[]> records) {
        long bytes = 0;
        for (byte[] r : records) {
            bytes += r.length + 1;
        }
        if (sizeBytes() + bytes > maxBytes) {
            return false;
        }
        try {
            if (out == null) {
                out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(OPEN), StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND), 1 << 16);
            }
            for (byte[] r : records) {
                out.write(r);
                out.write('\n');
            }
            openBytes += bytes;
        } catch (IOException e) {
            closeQuietly();
            truncateOpenTo(openBytes);
            return false;
        }
        if (openBytes >= SEGMENT_BYTES) {
            try {
                seal(); // bounded segments: replay reads and deletes them one by one
            } catch (IOException e) {
                // the records are written; the segment is sealed on a later try or at start
            }
        }
        return true;
    }

    /**
     * Puts records before everything already spooled, as a segment of their own: for a batch that
     * was taken from memory before newer records went to the spool and then failed. False (nothing
     * written) when over maxBytes or the disk refuses.
     */
    boolean prepend(List<byte[]> records) {
        long bytes = 0;
        for (byte[] r : records) {
            bytes += r.length + 1;
        }
        if (records.isEmpty()) {
            return true;
        }
        if (sizeBytes() + bytes > maxBytes) {
            return false;
        }
        Path tmp = dir.resolve("prepend.tmp");
        try {
            List<Path> segs = segments();
            long seq = Math.min(nextSeq, segs.isEmpty() ? nextSeq : seqOf(segs.get(0))) - 1;
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                for (byte[] r : records) {
                    o.write(r);
                    o.write('\n');
                }
            }
            Files.move(tmp, dir.resolve(String.format("%020d%s", seq, SUFFIX)), StandardCopyOption.ATOMIC_MOVE);
            sealedBytes += bytes;
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the disk is failing already; the caller counts the records as lost
            }
            return false;
        }
    }

    /** Pushes appended records to the kernel, so they survive the process (not the machine) dying. */
    boolean flush() {
        if (out == null) {
            return true;
        }
        try {
            out.flush();
            return true;
        } catch (IOException e) {
            closeQuietly();
            truncateOpenTo(openBytes);
            return false;
        }
    }

    /** A failed write may leave half a record: cut back to the last whole one so the next append starts clean. */
    private void truncateOpenTo(long size) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(OPEN),
                StandardOpenOption.WRITE)) {
            ch.truncate(size);
        } catch (IOException ignored) {
            // nothing more to do: sealing drops a torn last line anyway
        }
    }

    /** Makes everything appended so far readable. */
    void seal() throws IOException {
        if (openBytes == 0) {
            return;
        }
        closeQuietly();
        sealFile(dir.resolve(OPEN));
        openBytes = 0;
    }

    /**
     * Up to {@code maxRecords} records from the oldest segment, from the cursor's byte offset:
     * each read starts where the last commit ended, so replaying a large spool stays linear.
     */
    Optional<Chunk> read(int maxRecords, long maxBatchBytes) throws IOException {
        List<Path> segs = segments();
        if (segs.isEmpty()) {
            return Optional.empty();
        }
        Path seg = segs.get(0);
        long start = cursorFor(seg);
        List<byte[]> records = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        long offset = start;
        long bytes = 0;
        boolean end = true;
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ);
             InputStream in = new BufferedInputStream(Channels.newInputStream(ch.position(start)), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(512);
            for (int b; (b = in.read()) >= 0; ) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                if (line.size() > 0 && (records.size() >= maxRecords
                        || (bytes > 0 && bytes + line.size() + 1 > maxBatchBytes))) {
                    end = false;
                    break;
                }
                offset += line.size() + 1;
                if (line.size() > 0) {
                    records.add(line.toByteArray());
                    bytes += line.size() + 1;
                    ends.add(offset);
                } else if (!ends.isEmpty()) {
                    ends.set(ends.size() - 1, offset); // a blank line rides along with the record before it
                }
                line.reset();
            }
        }
        return Optional.of(new Chunk(seg, start, records, ends.stream().mapToLong(Long::longValue).toArray(), end));
    }

    /** Marks a chunk's first {@code n} records as done; a finished segment is deleted. */
    void commit(Chunk chunk, int n) throws IOException {
        Path cursor = cursorOf(chunk.segment());
        if (chunk.lastOfSegment() && n >= chunk.records().size()) {
            sealedBytes -= Files.size(chunk.segment());
            Files.delete(chunk.segment());
            Files.deleteIfExists(cursor);
            return;
        }
        long offset = n == 0 ? chunk.startOffset() : chunk.ends()[n - 1];
        Path tmp = dir.resolve("cursor.tmp");
        Files.writeString(tmp, Long.toString(offset));
        Files.move(tmp, cursor, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    boolean isEmpty() {
        return openBytes == 0 && sealedBytes == 0;
    }

    boolean hasSealed() {
        return sealedBytes > 0;
    }

    long sizeBytes() {
        return openBytes + sealedBytes;
    }

    /** Lines a crash cut short, found when sealing a left-over open segment. */
    long tornLines() {
        return tornLines;
    }

    Path dir() {
        return dir;
    }

    void close() {
        closeQuietly();
    }

    private void sealFile(Path open) throws IOException {
        dropTornLastLine(open);
        Path sealed = dir.resolve(String.format("%020d%s", nextSeq++, SUFFIX));
        Files.move(open, sealed, StandardCopyOption.ATOMIC_MOVE);
        sealedBytes += Files.size(sealed);
    }

    /** After kill -9 the last record may be half written: cut it off so it is not sent as garbage. */
    private void dropTornLastLine(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            ByteBuffer one = ByteBuffer.allocate(1);
            if (size == 0 || (ch.read(one, size - 1) == 1 && one.get(0) == '\n')) {
                return;
            }
            // Scan back, block by block, for the end of the last whole record.
            ByteBuffer block = ByteBuffer.allocate(8192);
            long pos = size;
            long keep = 0;
            while (pos > 0 && keep == 0) {
                long from = Math.max(0, pos - block.capacity());
                block.clear().limit((int) (pos - from));
                ch.read(block, from);
                for (int i = block.position() - 1; i >= 0; i--) {
                    if (block.get(i) == '\n') {
                        keep = from + i + 1;
                        break;
                    }
                }
                pos = from;
            }
            ch.truncate(keep);
        }
        tornLines++;
    }

    /** Lines of the segment already delivered: kept beside it, so a restart resumes there. */
    private long cursorFor(Path seg) throws IOException {
        Path cursor = cursorOf(seg);
        return Files.exists(cursor) ? Long.parseLong(Files.readString(cursor).trim()) : 0; // byte offset
    }

    private Path cursorOf(Path seg) {
        return seg.resolveSibling(seg.getFileName() + CURSOR);
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    private static long seqOf(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the data it held is accounted for by the caller
            }
            out = null;
        }
    }
}
