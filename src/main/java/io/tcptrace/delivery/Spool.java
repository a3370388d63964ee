package io.tcptrace.delivery;

import io.tcptrace.sink.FileModes;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records on disk, first in first out: JSON Lines segment files in one directory. Records are
 * appended to {@code current.open}; {@link #seal()} turns it into the next numbered segment,
 * which the reader then consumes batch by batch, remembering its position in a
 * {@code SEGMENT.cursor} file beside it so a restart resumes where delivery stopped.
 * {@link #prepend} adds a segment in front of all others. A segment left open by a crash is
 * sealed on start; a last line cut short by the crash is dropped and counted.
 *
 * <p>A full disk loses nothing silently. Appended records wait in a 64 KiB buffer; when the disk
 * refuses to write it, the buffer is kept and retried, and records that no longer fit are
 * refused and counted under {@link Loss#DISK_ERROR} at that moment. {@link #bytesOnDisk()} counts
 * only bytes the file system took. A replay position that cannot be saved is kept in memory (so
 * replay goes on, and only a restart before the disk has space sends those records again). A
 * line on replay that is not a JSON object is moved to {@code corrupt-lines.txt}, not sent. That
 * check is skipped for segments this instance wrote whole and sealed itself (every write either
 * completed or was cut back): it is for what a crash, a disk error or an editor leaves in files
 * found at start, and it cost a sixth of the Splunk sink's replay thread.
 * Trouble is logged as one ERROR a minute at most, with the cause. Callers read the counts;
 * they need not log write failures themselves.
 *
 * <p>Not thread-safe: the caller serialises access.
 * <p>Not thread-safe: {@link DeliveryProducer} serialises access.
 */
final class Spool {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final String OPEN = "current.open";
    private static final String CURSOR = ".cursor";
    private static final String SUFFIX = ".jsonl";
    static final String CORRUPT = "corrupt-lines.txt";
    /** Segments this instance wrote and sealed with every write whole: replayed without the line check. */
    private final Set<Path> writtenWhole = new HashSet<>();
    /** current.open may hold part of a record: a failed write could not be cut back. */
    private boolean openMayBeTorn;
    // Segment numbers start high so that prepend() can always number a segment below the oldest.
    private static final long FIRST_SEQ = 1_000_000_000L;
    static final long SEGMENT_BYTES = 16L << 20;
    private static final int BUFFER_BYTES = 1 << 16;
    // After the disk refused, appends try again at most this often (an explicit flush always tries).
    private static final long RETRY_NANOS = 100_000_000L;
    private static final long REPORT_INTERVAL_NANOS = 60_000_000_000L;

    /** Why records were lost: one reason per cause, as the loss metric's label. */
    enum Loss {
        /** Refused: the spool is at its configured size limit. */
        SPOOL_FULL("spool_full"),
        /** Refused because the file system would not write (no space, I/O error), or held in memory at close and still not writable. */
        DISK_ERROR("disk_error"),
        /** The last line of a segment cut short by an abrupt stop (kill -9, power loss), dropped on start. */
        TORN_LINE("torn_line");

        final String reason;

        Loss(String reason) {
            this.reason = reason;
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final long[] lost = new long[Loss.values().length];
    private FileChannel out;
    private long openBytes;        // of current.open, on disk
    private long sealedBytes;
    private long nextSeq;
    private byte[] held;           // appended, not yet written; allocated on first use
    private int heldBytes;
    private int heldRecords;
    private long refusedAtNanos;
    private boolean refusing;
    // The replay position, authoritative in memory; on disk when the disk takes it.
    private Path cursorSegment;
    private long cursorOffset;
    private boolean cursorUnsaved;
    // Corrupt lines of the segment being read are moved aside once, even if a batch is read again.
    private Path asideSegment;
    private long asideUpTo;
    private long setAside;
    private String trouble;        // the latest write failure, null once the disk takes writes again
    private boolean troubleReported;
    private long lostReported;
    private long lastReport;
    private boolean reportedOnce;
    private long setAsideReported;
    private long lastAsideReport;
    private boolean closed;

    /**
     * A batch read from the oldest segment: its records, the byte offset it started at and the
     * offset after each record (so a partial commit knows where to resume), and whether it
     * reached the segment's end.
     */
    record Chunk(Path segment, long startOffset, List<byte[]> records, long[] ends, boolean lastOfSegment) {
    }

    Spool(Path dir, long maxBytes) throws IOException {
        this.dir = FileModes.createDirectories(dir, FileModes.PRIVATE_DIR);
        this.maxBytes = maxBytes;
        Path open = dir.resolve(OPEN);
        nextSeq = FIRST_SEQ;
        for (Path p : segments()) {
            nextSeq = Math.max(nextSeq, seqOf(p) + 1);
            sealedBytes += Files.size(p);
        }
        if (Files.exists(open) && Files.size(open) > 0) {
            dropTornLastLine(open);
            sealFile(open);
        }
        Files.deleteIfExists(open);
        Files.deleteIfExists(dir.resolve("prepend.tmp")); // a prepend cut short by a crash
        Files.deleteIfExists(dir.resolve("cursor.tmp"));
        lostReported = lost[Loss.TORN_LINE.ordinal()]; // the caller says so at start; not an ERROR
    }

    /**
     * Takes records (into the buffer, or straight to disk when they are large). False when they
     * were refused, nothing of them kept: over maxBytes, or the disk refuses while the buffer is
     * full. Refused records are counted here, under {@link #lost(Loss)}.
     */
    boolean append(List<byte[]> records) {
        if (records.isEmpty()) {
            return true;
        }
        long bytes = bytesOf(records);
        if (bytesOnDisk() + heldBytes + bytes > maxBytes) {
            return refuse(Loss.SPOOL_FULL, records.size());
        }
        if (heldBytes + bytes > BUFFER_BYTES) {
            boolean mayTry = !refusing || System.nanoTime() - refusedAtNanos >= RETRY_NANOS;
            if (heldBytes > 0 && !(mayTry && writeHeld())) {
                return refuse(Loss.DISK_ERROR, records.size());
            }
            if (bytes > BUFFER_BYTES) {
                return writeDirect(records) || refuse(Loss.DISK_ERROR, records.size());
            }
        }
        if (held == null) {
            held = new byte[BUFFER_BYTES];
        }
        for (byte[] r : records) {
            System.arraycopy(r, 0, held, heldBytes, r.length);
            held[heldBytes + r.length] = '\n';
            heldBytes += r.length + 1;
        }
        heldRecords += records.size();
        return true;
    }

    /**
     * Puts records before everything already spooled, as a segment of their own: for a batch that
     * was taken from memory before newer records went to the spool and then failed. False (nothing
     * kept, counted under {@link #lost(Loss)}) when over maxBytes or the disk refuses.
     */
    boolean prepend(List<byte[]> records) {
        if (records.isEmpty()) {
            return true;
        }
        long bytes = bytesOf(records);
        if (bytesOnDisk() + heldBytes + bytes > maxBytes) {
            return refuse(Loss.SPOOL_FULL, records.size());
        }
        Path tmp = dir.resolve("prepend.tmp");
        try {
            List<Path> segs = segments();
            long seq = Math.min(nextSeq, segs.isEmpty() ? nextSeq : seqOf(segs.get(0))) - 1;
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileModes.openAppend(tmp, FileModes.PRIVATE_FILE)) {
                writeAll(ch, records);
            }
            Files.move(tmp, segmentPath(seq), StandardCopyOption.ATOMIC_MOVE);
            sealedBytes += bytes;
            recovered();
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the disk is failing already; the records are counted as lost below
            }
            troubled("writing a segment", e);
            return refuse(Loss.DISK_ERROR, records.size());
        }
    }

    /**
     * Writes the buffer to the file system, so the records survive the process (not the machine)
     * dying. False when the disk refuses: the records stay in memory and are tried again.
     */
    boolean flush() {
        return writeHeld();
    }

    /**
     * Makes everything appended so far readable. What the disk refuses stays in memory and goes
     * into the next segment; an IOException says that nothing at all is readable because of it.
     */
    void seal() throws IOException {
        boolean written = writeHeld();
        if (openBytes > 0) {
            sealOpen();
        } else if (!written && sealedBytes == 0) {
            throw new IOException("the disk refuses writes to the spool " + dir + " (" + trouble + "): "
                    + heldRecords + " records held in memory");
        }
    }

    /**
     * Up to {@code maxRecords} records from the oldest segment, from the replay position: each
     * read starts where the last commit ended, so replaying a large spool stays linear. A line
     * that is not a JSON object is moved aside, not returned.
     */
    Optional<Chunk> read(int maxRecords, long maxBatchBytes) throws IOException {
        List<Path> segs = segments();
        if (segs.isEmpty()) {
            return Optional.empty();
        }
        Path seg = segs.get(0);
        long start = cursorFor(seg);
        if (!seg.equals(asideSegment)) {
            asideSegment = seg;
            asideUpTo = 0;
        }
        boolean trusted = writtenWhole.contains(seg);
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
                        break; // a last line without its newline is still being written (or torn): not yet
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
                        setAside(record);
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
        return Optional.of(new Chunk(seg, start, records, ends.stream().mapToLong(Long::longValue).toArray(), end));
    }

    /**
     * Marks a chunk's first {@code n} records as done; a finished segment is deleted. The new
     * position is saved to disk when the disk takes it, and kept in memory in any case.
     */
    void commit(Chunk chunk, int n) throws IOException {
        Path seg = chunk.segment();
        if (chunk.lastOfSegment() && n >= chunk.records().size()) {
            long size = Files.size(seg);
            Files.delete(seg);
            writtenWhole.remove(seg);
            sealedBytes -= size;
            Files.deleteIfExists(cursorOf(seg));
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
     * Moves the sealed segments of {@code other} (a spool just opened, nothing appended) behind
     * this spool's, oldest first; each move is one rename, so after a crash every record is in
     * exactly one of the two. Returns the bytes moved.
     */
    long adoptSealedOf(Spool other) throws IOException {
        long moved = 0;
        for (Path p : other.segments()) {
            long size = Files.size(p);
            Files.deleteIfExists(p.resolveSibling(p.getFileName() + CURSOR));
            Files.move(p, segmentPath(nextSeq++), StandardCopyOption.ATOMIC_MOVE);
            other.sealedBytes -= size;
            sealedBytes += size;
            moved += size;
        }
        return moved;
    }

    /** Records in the sealed segments (their newlines): for start-up messages, not the hot path. */
    long sealedRecords() throws IOException {
        long n = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        for (Path p : segments()) {
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

    boolean isEmpty() {
        return openBytes == 0 && sealedBytes == 0 && heldBytes == 0;
    }

    boolean hasSealed() {
        return sealedBytes > 0;
    }

    /** Bytes the file system holds for this spool (segments and the open one). */
    long bytesOnDisk() {
        return openBytes + sealedBytes;
    }

    /** The same as {@link #bytesOnDisk()}, for the metric that has always read it. */
    long sizeBytes() {
        return bytesOnDisk();
    }

    /** Bytes appended but not on disk yet (the buffer, kept while the disk refuses writes). */
    long heldBytes() {
        return heldBytes;
    }

    /** Records refused or lost here, for {@code cause}: what the caller reports as lost. */
    long lost(Loss cause) {
        return lost[cause.ordinal()];
    }

    /** Lines a crash cut short, found when sealing a left-over open segment. */
    long tornLines() {
        return lost(Loss.TORN_LINE);
    }

    /** Lines found on replay that are not JSON objects, moved to {@value #CORRUPT} (or lost, if that failed). */
    long corruptLines() {
        return setAside;
    }

    /** True while the replay position exists only in memory (the disk refused to save it). */
    boolean cursorUnsaved() {
        return cursorUnsaved;
    }

    Path dir() {
        return dir;
    }

    /**
     * Writes what is held and saves the replay position, one last try each; what the disk still
     * refuses is counted as lost and reported now.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!writeHeld()) {
            lost[Loss.DISK_ERROR.ordinal()] += heldRecords;
            heldBytes = 0;
            heldRecords = 0;
        }
        if (cursorUnsaved) {
            saveCursor();
        }
        if (cursorUnsaved) {
            LOG.error("spool {}: the replay position in {} (byte {}) could not be saved ({}): the next start sends"
                    + " the records before it again", dir, cursorSegment.getFileName(), cursorOffset, trouble);
        }
        closeOut();
        report(true);
        held = null;
    }

    /** Writes the held records; on failure cuts the file back to its last whole record and keeps them. */
    private boolean writeHeld() {
        if (heldBytes == 0) {
            return true;
        }
        try {
            FileChannel ch = openChannel();
            ByteBuffer b = ByteBuffer.wrap(held, 0, heldBytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            undoPartialWrite();
            troubled("writing", e);
            return false;
        }
        openBytes += heldBytes;
        heldBytes = 0;
        heldRecords = 0;
        recovered();
        sealIfLarge();
        return true;
    }

    /** Records larger than the buffer: one gathering write, all or (cut back) nothing. */
    private boolean writeDirect(List<byte[]> records) {
        try {
            writeAll(openChannel(), records);
        } catch (IOException e) {
            undoPartialWrite();
            troubled("writing", e);
            return false;
        }
        openBytes += bytesOf(records);
        recovered();
        sealIfLarge();
        return true;
    }

    private static void writeAll(FileChannel ch, List<byte[]> records) throws IOException {
        ByteBuffer[] parts = new ByteBuffer[records.size() * 2];
        for (int i = 0; i < records.size(); i++) {
            parts[2 * i] = ByteBuffer.wrap(records.get(i));
            parts[2 * i + 1] = ByteBuffer.wrap(new byte[] {'\n'});
        }
        long left = bytesOf(records);
        while (left > 0) {
            left -= ch.write(parts);
        }
    }

    private FileChannel openChannel() throws IOException {
        if (out == null) {
            out = FileModes.openAppend(dir.resolve(OPEN), FileModes.PRIVATE_FILE);
        }
        return out;
    }

    /** A write cut short by ENOSPC leaves part of a record: cut back to the last whole one, freeing the space. */
    private void undoPartialWrite() {
        try {
            if (out != null) {
                out.truncate(openBytes);
            }
        } catch (IOException e) {
            // Cannot cut back: trust the file's size. A partial line left there is set aside on replay.
            openMayBeTorn = true;
            closeOut();
            try {
                openBytes = Files.size(dir.resolve(OPEN));
            } catch (IOException ignored) {
                // the file is unreadable too; sealing finds out
            }
        }
    }

    /** Bounded segments: replay reads and deletes them one by one. */
    private void sealIfLarge() {
        if (openBytes >= SEGMENT_BYTES) {
            try {
                sealOpen();
            } catch (IOException e) {
                troubled("sealing a segment", e); // the records are written; sealed on a later try or at start
            }
        }
    }

    private void sealOpen() throws IOException {
        closeOut();
        Path sealed = sealFile(dir.resolve(OPEN));
        if (!openMayBeTorn) {
            writtenWhole.add(sealed);
        }
        openMayBeTorn = false;
        openBytes = 0;
    }

    private Path sealFile(Path open) throws IOException {
        Path sealed = segmentPath(nextSeq++);
        Files.move(open, sealed, StandardCopyOption.ATOMIC_MOVE);
        sealedBytes += Files.size(sealed);
        return sealed;
    }

    private Path segmentPath(long seq) {
        return dir.resolve(String.format(Locale.ROOT, "%020d%s", seq, SUFFIX));
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
        lost[Loss.TORN_LINE.ordinal()]++;
    }

    private void saveCursor() {
        Path tmp = dir.resolve("cursor.tmp");
        try {
            FileModes.writeNew(tmp, Long.toString(cursorOffset).getBytes(StandardCharsets.US_ASCII),
                    FileModes.PRIVATE_FILE);
            Files.move(tmp, cursorOf(cursorSegment), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            cursorUnsaved = false;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp); // an empty cursor.tmp would only take an inode
            } catch (IOException ignored) {
                // nothing more to free
            }
            troubled("saving the replay position", e);
        }
    }

    /** The replay position: the one in memory for the segment it belongs to, else the saved one. */
    private long cursorFor(Path seg) throws IOException {
        if (seg.equals(cursorSegment)) {
            return cursorOffset;
        }
        Path cursor = cursorOf(seg);
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
        LOG.warn("spool {}: replay position '{}' in {} is not valid: sending that segment from its start", dir,
                text, cursor.getFileName());
        return 0;
    }

    private Path cursorOf(Path seg) {
        return seg.resolveSibling(seg.getFileName() + CURSOR);
    }

    private void setAside(byte[] line) {
        try (FileChannel ch = FileModes.openAppend(dir.resolve(CORRUPT), FileModes.PRIVATE_FILE)) {
            writeAll(ch, List.of(line));
            setAside++;
        } catch (IOException e) {
            lost[Loss.DISK_ERROR.ordinal()]++;
            troubled("setting a corrupt line aside", e);
        }
        long now = System.nanoTime();
        if (setAside > setAsideReported && (setAsideReported == 0 || now - lastAsideReport >= REPORT_INTERVAL_NANOS)) {
            LOG.warn("spool {}: {} lines that are not JSON objects moved to {} instead of being sent ({} in total)",
                    dir, setAside - setAsideReported, CORRUPT, setAside);
            setAsideReported = setAside;
            lastAsideReport = now;
        }
    }

    private static int indexOfNewline(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private boolean refuse(Loss cause, int records) {
        lost[cause.ordinal()] += records;
        report(false);
        return false;
    }

    private void troubled(String what, IOException e) {
        refusing = true;
        refusedAtNanos = System.nanoTime();
        String cause = what + ": " + describe(e);
        if (trouble == null) {
            troubleReported = false;
        }
        trouble = cause;
        report(false);
    }

    private void recovered() {
        if (refusing) {
            refusing = false;
            if (trouble != null && troubleReported) {
                LOG.info("spool {}: the disk takes writes again", dir);
            }
            trouble = null;
        }
    }

    /** One ERROR a minute at most: what was lost since the last one, why, and what is held in memory. */
    private void report(boolean force) {
        long total = 0;
        for (long n : lost) {
            total += n;
        }
        boolean news = total > lostReported || (trouble != null && !troubleReported);
        long now = System.nanoTime();
        if (!news || (!force && reportedOnce && now - lastReport < REPORT_INTERVAL_NANOS)) {
            return;
        }
        StringBuilder m = new StringBuilder("spool ").append(dir);
        if (total > lostReported) {
            m.append(" lost ").append(total - lostReported).append(" records (in total:");
            for (Loss l : Loss.values()) {
                if (lost[l.ordinal()] > 0) {
                    m.append(' ').append(l.reason).append('=').append(lost[l.ordinal()]);
                }
            }
            m.append(')');
        }
        if (trouble != null) {
            m.append("; the disk refuses writes (").append(trouble).append(')');
        }
        if (heldRecords > 0) {
            m.append("; ").append(heldRecords).append(" records held in memory until it takes them");
        }
        if (cursorUnsaved) {
            m.append("; the replay position is kept in memory");
        }
        m.append(": free disk space");
        if (lost[Loss.SPOOL_FULL.ordinal()] > 0) {
            m.append(" or raise the spool limit (").append(maxBytes).append(" bytes)");
        }
        LOG.error(m.toString());
        lostReported = total;
        troubleReported = trouble != null;
        lastReport = now;
        reportedOnce = true;
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static long bytesOf(List<byte[]> records) {
        long bytes = 0;
        for (byte[] r : records) {
            bytes += r.length + 1;
        }
        return bytes;
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

    private void closeOut() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // a channel's close writes nothing; what it held is accounted for
            }
            out = null;
        }
    }
}
