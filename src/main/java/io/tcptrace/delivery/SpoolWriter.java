package io.tcptrace.delivery;

import io.tcptrace.ops.FileModes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The appending end of a spool: records into a 64 KiB buffer, the buffer into {@code current.open},
 * which becomes a numbered segment when it is large or the reader wants it ({@link #trySeal()}).
 * The kernel reader's thread appends; the delivery thread only seals and flushes an idle buffer,
 * with {@code tryLock}, so the kernel reader never waits for the delivery thread's disk writes.
 *
 * <p>A full disk loses nothing silently: when the disk refuses the buffer, it is kept and tried
 * again (appends try at most every 100 ms, an explicit flush always), and records that no longer
 * fit are refused and counted at that moment. A write cut short is cut back to the last whole
 * record. {@link #openBytes()} counts only what the file system took.
 */
final class SpoolWriter {
    static final long SEGMENT_BYTES = 16L << 20;
    private static final int BUFFER_BYTES = 1 << 16;
    private static final long RETRY_NANOS = 100_000_000L;

    private final SpoolDirectory files;
    private final long maxBytes;
    private final SpoolLosses losses;
    private final DiskTrouble trouble;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock; the volatile ones are also read without it, for sizes.
    private FileChannel out;
    private volatile long openBytes;   // of current.open, on disk
    private byte[] held;               // appended, not yet written; allocated on first use
    private volatile int heldBytes;
    private int heldRecords;
    private long lastAppendNanos;
    private long refusedAtNanos;
    private boolean refusing;
    private boolean openMayBeTorn;     // a failed write could not be cut back
    private long tornAtStart;

    /** Seals a {@code current.open} a crash left behind, without the last line if the crash cut it. */
    SpoolWriter(SpoolDirectory files, long maxBytes, SpoolLosses losses, DiskTrouble trouble) throws IOException {
        this.files = files;
        this.maxBytes = maxBytes;
        this.losses = losses;
        this.trouble = trouble;
        Path open = files.dir().resolve(SpoolDirectory.OPEN);
        if (Files.exists(open) && Files.size(open) > 0) {
            tornAtStart = TornLine.dropLast(open);
            files.seal(open, false);
            losses.count(DeliveryStats.Loss.TORN_RECORD, tornAtStart);
        }
        Files.deleteIfExists(open);
    }

    /** Records dropped at start because a crash had cut them short. */
    long tornAtStart() {
        return tornAtStart;
    }

    /** Whether {@code bytes} more fit the spool's limit, with what is on disk and held: the one formula. */
    boolean fits(long bytes) {
        return files.sealedBytes() + openBytes + heldBytes + bytes <= maxBytes;
    }

    /**
     * Takes records (into the buffer, or straight to disk when large). False when they were refused
     * and counted lost, nothing of them kept: over the limit, or the disk refuses while the buffer is full.
     */
    boolean append(List<byte[]> records) {
        if (records.isEmpty()) {
            return true;
        }
        lock.lock();
        try {
            long bytes = SpoolDirectory.bytesOf(records);
            if (!fits(bytes)) {
                losses.count(losses.full(), records.size());
                return false;
            }
            if (heldBytes + bytes > BUFFER_BYTES) {
                boolean mayTry = !refusing || System.nanoTime() - refusedAtNanos >= RETRY_NANOS;
                if (heldBytes > 0 && !(mayTry && writeHeld())) {
                    losses.count(losses.writeFailed(), records.size());
                    return false;
                }
                if (bytes > BUFFER_BYTES) {
                    if (writeDirect(records)) {
                        return true;
                    }
                    losses.count(losses.writeFailed(), records.size());
                    return false;
                }
            }
            if (held == null) {
                held = new byte[BUFFER_BYTES];
            }
            int at = heldBytes;
            for (byte[] r : records) {
                System.arraycopy(r, 0, held, at, r.length);
                held[at + r.length] = '\n';
                at += r.length + 1;
            }
            heldBytes = at;
            heldRecords += records.size();
            lastAppendNanos = System.nanoTime();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Writes the buffer, so the records survive the process (not the machine). False when the disk refuses: kept. */
    boolean flush() {
        lock.lock();
        try {
            return writeHeld();
        } finally {
            lock.unlock();
        }
    }

    /** The delivery thread's flush of a buffer nothing was appended to for {@code idleNanos}; never waits. */
    void flushIfIdle(long idleNanos) {
        if (heldBytes > 0 && lock.tryLock()) {
            try {
                if (heldBytes > 0 && System.nanoTime() - lastAppendNanos >= idleNanos
                        && (!refusing || System.nanoTime() - refusedAtNanos >= RETRY_NANOS)) {
                    writeHeld();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Makes what was appended readable, unless the appending thread is busy (false: try again).
     * What the disk refuses stays in memory for the next segment.
     */
    boolean trySeal() throws IOException {
        if (!lock.tryLock()) {
            return false;
        }
        try {
            sealNow();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #trySeal()}, waiting for the lock: at start and in tests. */
    void seal() throws IOException {
        lock.lock();
        try {
            sealNow();
        } finally {
            lock.unlock();
        }
    }

    private void sealNow() throws IOException {
        boolean written = writeHeld();
        if (openBytes > 0) {
            sealOpen();
        } else if (!written && files.sealedBytes() == 0) {
            throw new IOException("the disk refuses writes to the spool " + files.dir() + " (" + trouble.cause() + "): "
                    + heldRecords + " records held in memory");
        }
    }

    long openBytes() {
        return openBytes;
    }

    long heldBytes() {
        return heldBytes;
    }

    /** Writes what is held, one last try; what the disk still refuses is counted lost now. */
    void close() {
        lock.lock();
        try {
            if (!writeHeld()) {
                losses.count(losses.writeFailed(), heldRecords);
                heldBytes = 0;
                heldRecords = 0;
            }
            closeOut();
            held = null;
        } finally {
            lock.unlock();
        }
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
            failed("writing", e);
            return false;
        }
        openBytes += heldBytes;
        heldBytes = 0;
        heldRecords = 0;
        written();
        return true;
    }

    /** Records larger than the buffer: one gathering write, all or (cut back) nothing. */
    private boolean writeDirect(List<byte[]> records) {
        try {
            SpoolDirectory.writeAll(openChannel(), records);
        } catch (IOException e) {
            undoPartialWrite();
            failed("writing", e);
            return false;
        }
        openBytes += SpoolDirectory.bytesOf(records);
        written();
        return true;
    }

    private void written() {
        refusing = false;
        trouble.recordsWritten();
        if (openBytes >= SEGMENT_BYTES) { // bounded segments: replay reads and deletes them one by one
            try {
                sealOpen();
            } catch (IOException e) {
                failed("sealing a segment", e); // the records are written; sealed on a later try or at start
            }
        }
    }

    private void failed(String what, IOException e) {
        refusing = true;
        refusedAtNanos = System.nanoTime();
        trouble.failed(what, e);
    }

    private FileChannel openChannel() throws IOException {
        if (out == null) {
            out = FileModes.openAppend(files.dir().resolve(SpoolDirectory.OPEN), FileModes.PRIVATE_FILE);
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
                openBytes = Files.size(files.dir().resolve(SpoolDirectory.OPEN));
            } catch (IOException ignored) {
                // the file is unreadable too; sealing finds out
            }
        }
    }

    private void sealOpen() throws IOException {
        closeOut();
        files.seal(files.dir().resolve(SpoolDirectory.OPEN), !openMayBeTorn);
        openMayBeTorn = false;
        openBytes = 0;
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

    /** Cuts the last line of a file when a crash left it without its newline. */
    static final class TornLine {
        private TornLine() {
        }

        /** 1 when a last line without its newline was cut off, else 0. */
        static long dropLast(Path file) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                ByteBuffer one = ByteBuffer.allocate(1);
                if (size == 0 || (ch.read(one, size - 1) == 1 && one.get(0) == '\n')) {
                    return 0;
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
                return 1;
            }
        }
    }
}
