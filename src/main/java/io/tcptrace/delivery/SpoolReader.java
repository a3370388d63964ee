package io.tcptrace.delivery;

import io.tcptrace.ops.FileModes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replaying end of a spool, on the delivery thread only: batches from the oldest sealed
 * segment, from the replay position, which a {@code SEGMENT.cursor} file beside it keeps across
 * restarts; a segment read to its end is deleted. {@link #prepend} puts a batch in front of all.
 * A position the disk refuses to save is kept in memory, so replay goes on and only a restart
 * before the disk has room sends those records again. Lines that are not JSON objects go to the
 * {@link Quarantine}; that check is skipped for segments this run wrote whole (it cost a sixth of
 * the Splunk sink's replay thread).
 */
final class SpoolReader {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolReader.class);

    private final SpoolDirectory files;
    private final SpoolWriter writer;
    private final SpoolLosses losses;
    private final DiskTrouble trouble;
    private final Quarantine quarantine;
    // The replay position, authoritative in memory; on disk when the disk takes it.
    private Path cursorSegment;
    private long cursorOffset;
    private boolean cursorUnsaved;
    // Corrupt lines of the segment being read are moved aside once, even if a batch is read again.
    private Path asideSegment;
    private long asideUpTo;

    SpoolReader(SpoolDirectory files, SpoolWriter writer, SpoolLosses losses, DiskTrouble trouble) {
        this.files = files;
        this.writer = writer;
        this.losses = losses;
        this.trouble = trouble;
        this.quarantine = new Quarantine(files.dir(), losses, trouble);
    }

    /**
     * Up to {@code maxRecords} records from the oldest segment, from the replay position: each
     * read starts where the last commit ended, so replaying a large spool stays linear.
     */
    Optional<Spool.Chunk> read(int maxRecords, long maxBatchBytes) throws IOException {
        List<Path> segs = files.segments();
        if (segs.isEmpty()) {
            return Optional.empty();
        }
        Path seg = segs.get(0);
        long start = cursorFor(seg);
        if (!seg.equals(asideSegment)) {
            asideSegment = seg;
            asideUpTo = 0;
        }
        boolean trusted = files.writtenWhole(seg);
        List<byte[]> records = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        long offset = start;
        long bytes = 0;
        boolean end = true;
        // Read in blocks and split at '\n' here: a byte at a time through BufferedInputStream and
        // ByteArrayOutputStream (both synchronized per call) cost more than sending the records.
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ)) {
            ch.position(start);
            byte[] buf = new byte[1 << 16];
            int len = 0; // bytes in buf
            int pos = 0; // where the current line starts in buf
            int scan = 0; // where to look for its end
            boolean eof = false;
            while (true) {
                int nl = indexOfNewline(buf, scan, len);
                if (nl < 0) {
                    if (eof) {
                        break; // a last line without its newline: torn, dropped when the segment was sealed
                    }
                    if (pos > 0) {
                        System.arraycopy(buf, pos, buf, 0, len - pos);
                        len -= pos;
                        pos = 0;
                    }
                    if (len == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
                    }
                    scan = len;
                    int n = ch.read(ByteBuffer.wrap(buf, len, buf.length - len));
                    if (n < 0) {
                        eof = true;
                    } else {
                        len += n;
                    }
                    continue;
                }
                int lineLength = nl - pos;
                byte[] record = lineLength > 0 ? Arrays.copyOfRange(buf, pos, nl) : null;
                pos = nl + 1;
                scan = pos;
                boolean valid = record != null && (trusted || JsonLine.isObject(record));
                if (valid && (records.size() >= maxRecords
                        || (bytes > 0 && bytes + record.length + 1 > maxBatchBytes))) {
                    end = false;
                    break;
                }
                long lineStart = offset;
                offset += lineLength + 1;
                if (valid) {
                    records.add(record);
                    bytes += record.length + 1;
                    ends.add(offset);
                } else {
                    if (record != null && lineStart >= asideUpTo) {
                        quarantine.setAside(record);
                        asideUpTo = offset;
                    }
                    // A skipped line rides along with the record before it; before the first, it moves the start.
                    if (ends.isEmpty()) {
                        start = offset;
                    } else {
                        ends.set(ends.size() - 1, offset);
                    }
                }
            }
        }
        return Optional.of(new Spool.Chunk(seg, start, records, ends.stream().mapToLong(Long::longValue).toArray(), end));
    }

    /**
     * Marks a chunk's first {@code n} records as done; a finished segment is deleted. The new
     * position is saved to disk when the disk takes it, and kept in memory in any case.
     */
    void commit(Spool.Chunk chunk, int n) throws IOException {
        Path seg = chunk.segment();
        if (chunk.lastOfSegment() && n >= chunk.records().size()) {
            files.delete(seg);
            if (seg.equals(cursorSegment)) {
                cursorSegment = null;
                cursorUnsaved = false;
            }
            return;
        }
        cursorSegment = seg;
        cursorOffset = n == 0 ? chunk.startOffset() : chunk.ends()[n - 1];
        cursorUnsaved = true;
        saveCursor();
    }

    /**
     * Puts records before everything already spooled, as a segment of their own: a batch taken
     * from memory before newer records went to the spool, which then failed. False when refused
     * and counted lost: over the limit, or the disk refuses.
     */
    boolean prepend(List<byte[]> records) {
        if (records.isEmpty()) {
            return true;
        }
        long bytes = SpoolDirectory.bytesOf(records);
        if (!writer.fits(bytes)) {
            losses.count(losses.full(), records.size());
            return false;
        }
        Path tmp = files.dir().resolve("prepend.tmp");
        try {
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileModes.openAppend(tmp, FileModes.PRIVATE_FILE)) {
                SpoolDirectory.writeAll(ch, records);
            }
            files.placeFirst(tmp, bytes);
            trouble.recordsWritten();
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the disk is failing already; the records are counted as lost below
            }
            trouble.failed("writing a segment", e);
            losses.count(losses.writeFailed(), records.size());
            return false;
        }
    }

    /**
     * Moves the sealed segments of {@code other} (a spool just opened, nothing appended) behind
     * this spool's, oldest first; each move is one rename, so after a crash every record is in
     * exactly one of the two. Returns the bytes moved.
     */
    long adoptSealedOf(SpoolDirectory other) throws IOException {
        long moved = 0;
        for (Path p : other.segments()) {
            long size = Files.size(p);
            Files.deleteIfExists(other.cursorOf(p));
            files.placeLast(p, size);
            other.forget(p, size);
            moved += size;
        }
        return moved;
    }

    /** Records in the sealed segments (their newlines): for start-up messages, not the hot path. */
    long sealedRecords() throws IOException {
        long n = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (Path p : files.segments()) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                while (ch.read(buf.clear()) > 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        if (buf.get() == '\n') {
                            n++;
                        }
                    }
                }
            }
        }
        return n;
    }

    /** True while the replay position exists only in memory (the disk refused to save it). */
    boolean cursorUnsaved() {
        return cursorUnsaved;
    }

    long corruptLines() {
        return quarantine.count();
    }

    /** Saves the replay position, one last try; says so when the next start will send records again. */
    void close() {
        if (cursorUnsaved) {
            saveCursor();
        }
        if (cursorUnsaved) {
            LOG.error("spool {}: the replay position in {} (byte {}) could not be saved ({}): the next start sends"
                    + " the records before it again", files.dir(), cursorSegment.getFileName(), cursorOffset,
                    trouble.cause());
        }
    }

    private void saveCursor() {
        Path tmp = files.dir().resolve("cursor.tmp");
        try {
            FileModes.writeNew(tmp, Long.toString(cursorOffset).getBytes(StandardCharsets.US_ASCII),
                    FileModes.PRIVATE_FILE);
            Files.move(tmp, files.cursorOf(cursorSegment), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            cursorUnsaved = false;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp); // an empty cursor.tmp would only take an inode
            } catch (IOException ignored) {
                // nothing more to free
            }
            trouble.failed("saving the replay position", e);
        }
    }

    /** The replay position: the one in memory for the segment it belongs to, else the saved one. */
    private long cursorFor(Path seg) throws IOException {
        if (seg.equals(cursorSegment)) {
            return cursorOffset;
        }
        Path cursor = files.cursorOf(seg);
        if (!Files.exists(cursor)) {
            return 0;
        }
        String text = Files.readString(cursor).trim();
        try {
            long offset = Long.parseLong(text);
            if (offset >= 0 && offset <= Files.size(seg)) {
                return offset;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        LOG.warn("spool {}: replay position '{}' in {} is not valid: sending that segment from its start", files.dir(),
                text, cursor.getFileName());
        return 0;
    }

    private static int indexOfNewline(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
