package io.tcptrace.delivery;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Records on disk, first in first out, in one directory: a {@link SpoolWriter} appends (the
 * kernel reader's thread), a {@link SpoolReader} replays (the delivery thread), both over the
 * segments of a {@link SpoolDirectory}; lines that are not JSON go to a {@link Quarantine}; disk
 * failures are said by a {@link DiskTrouble}, and every record refused or lost is counted in the
 * sink's one ledger and said by its loss report ({@link SpoolLosses}). A segment left open by a
 * crash is sealed on start; a last line cut short by the crash is dropped and counted.
 */
final class Spool {
    static final String CORRUPT = Quarantine.FILE;
    static final long SEGMENT_BYTES = SpoolWriter.SEGMENT_BYTES;

    /**
     * A batch read from the oldest segment: its records, the byte offset it started at and the
     * offset after each record (so a partial commit knows where to resume), and whether it
     * reached the segment's end.
     */
    record Chunk(Path segment, long startOffset, List<byte[]> records, long[] ends, boolean lastOfSegment) {
    }

    private final SpoolDirectory files;
    private final SpoolLosses losses;
    private final DiskTrouble trouble;
    private final SpoolWriter writer;
    private final SpoolReader reader;
    private boolean closed;

    /** A spool on its own, with its own ledger (tests, the dead-letter resend's source). */
    Spool(Path dir, long maxBytes) throws IOException {
        this(dir, maxBytes, SpoolLosses.standalone("spool " + dir));
    }

    Spool(Path dir, long maxBytes, SpoolLosses losses) throws IOException {
        this.files = new SpoolDirectory(dir);
        this.losses = losses;
        this.trouble = new DiskTrouble(files.dir());
        losses.report().watch(trouble);
        this.writer = new SpoolWriter(files, maxBytes, losses, trouble);
        this.reader = new SpoolReader(files, writer, losses, trouble);
    }

    // The appending side: the kernel reader's thread.

    /** False when refused, and then counted lost: over the size limit, or the disk refuses with the buffer full. */
    boolean append(List<byte[]> records) {
        return writer.append(records);
    }

    /** False when the disk refuses: the records stay in memory and are tried again. */
    boolean flush() {
        return writer.flush();
    }

    /** The delivery thread's flush of a buffer left idle; never waits for the appending thread. */
    void flushIfIdle(long idleNanos) {
        writer.flushIfIdle(idleNanos);
    }

    // The replaying side: the delivery thread.

    /** Makes what was appended readable; false when the appending thread holds it (try again). */
    boolean trySeal() throws IOException {
        return writer.trySeal();
    }

    /** Makes what was appended readable, waiting for the appending thread. */
    void seal() throws IOException {
        writer.seal();
    }

    Optional<Chunk> read(int maxRecords, long maxBatchBytes) throws IOException {
        return reader.read(maxRecords, maxBatchBytes);
    }

    void commit(Chunk chunk, int n) throws IOException {
        reader.commit(chunk, n);
    }

    /** Records before everything spooled; false when refused, and then counted lost. */
    boolean prepend(List<byte[]> records) {
        return reader.prepend(records);
    }

    /** Moves {@code other}'s sealed segments behind this spool's (each once, by rename); returns the bytes moved. */
    long adoptSealedOf(Spool other) throws IOException {
        return reader.adoptSealedOf(other.files);
    }

    long sealedRecords() throws IOException {
        return reader.sealedRecords();
    }

    // Sizes, from any thread.

    boolean isEmpty() {
        return writer.openBytes() == 0 && files.sealedBytes() == 0 && writer.heldBytes() == 0;
    }

    boolean hasSealed() {
        return files.sealedBytes() > 0;
    }

    /** Bytes the file system holds for this spool (segments and the open one). */
    long bytesOnDisk() {
        return writer.openBytes() + files.sealedBytes();
    }

    /** The same as {@link #bytesOnDisk()}, for the metric that has always read it. */
    long sizeBytes() {
        return bytesOnDisk();
    }

    /** Bytes appended but not on disk yet (the buffer, kept while the disk refuses writes). */
    long heldBytes() {
        return writer.heldBytes();
    }

    /** Records lost for {@code reason}, from the ledger this spool counts in. */
    long lost(DeliveryStats.Loss reason) {
        return losses.stats().getLost(reason);
    }

    /** Lines a crash cut short, found when sealing a left-over open segment. */
    long tornLines() {
        return writer.tornAtStart();
    }

    /** Lines found on replay that are not JSON objects, moved to {@value #CORRUPT}. */
    long corruptLines() {
        return reader.corruptLines();
    }

    /** True while the replay position exists only in memory (the disk refused to save it). */
    boolean cursorUnsaved() {
        return reader.cursorUnsaved();
    }

    Path dir() {
        return files.dir();
    }

    /** Writes what is held and saves the replay position, one last try each; what the disk refuses is counted lost. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        reader.close();
        losses.report().rest();
    }
}
