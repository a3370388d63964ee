package io.tcptrace.delivery;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A spool's latest disk failure, shared by its writer and reader: said once (WARN) when it starts (what
 * failed and why), and "the disk takes writes again" only after a write of records succeeded
 * while it was on. Losses it causes are said by the {@link LossReport}, which names it. Thread-safe.
 */
final class DiskTrouble {
    private static final Logger LOG = LoggerFactory.getLogger(DiskTrouble.class);

    private final Path dir;
    private String cause;          // null while the disk takes writes

    DiskTrouble(Path dir) {
        this.dir = dir;
    }

    synchronized void failed(String what, IOException e) {
        String m = e.getMessage();
        String now = what + ": " + e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        if (cause == null) {
            LOG.warn("spool {}: the disk refuses writes ({}): records are held in memory (64 KiB) and written when it"
                    + " takes them again, those beyond are counted lost and said at ERROR; free disk space", dir, now);
        }
        cause = now;
    }

    /** A write of records reached the disk. */
    synchronized void recordsWritten() {
        if (cause != null) {
            LOG.info("spool {}: the disk takes writes again", dir);
            cause = null;
        }
    }

    /** What the disk refused last, or null while it takes writes. */
    synchronized String cause() {
        return cause;
    }
}
