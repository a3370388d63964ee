package io.tcptrace.delivery;

import io.tcptrace.ops.FileModes;
import io.tcptrace.ops.RateLimit;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a spool puts lines that are not JSON objects (disk damage, an edit, a line a crash cut
 * short), instead of sending them: {@value #FILE} in the spool directory, said at most once a
 * minute. A line that cannot be written there is counted lost ({@code corrupt_line_lost}).
 * Used by the reader's thread only.
 */
final class Quarantine {
    static final String FILE = "corrupt-lines.txt";
    private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);

    private final Path dir;
    private final SpoolLosses losses;
    private final DiskTrouble trouble;
    private final RateLimit warn = RateLimit.perMinute();
    private long setAside;

    Quarantine(Path dir, SpoolLosses losses, DiskTrouble trouble) {
        this.dir = dir;
        this.losses = losses;
        this.trouble = trouble;
    }

    void setAside(byte[] line) {
        try (FileChannel ch = FileModes.openAppend(dir.resolve(FILE), FileModes.PRIVATE_FILE)) {
            SpoolDirectory.writeAll(ch, List.of(line));
            setAside++;
        } catch (IOException e) {
            trouble.failed("setting a corrupt line aside", e);
            losses.count(DeliveryStats.Loss.CORRUPT_LINE_LOST, 1);
            return;
        }
        long n = warn.add(1);
        if (n > 0) {
            LOG.warn("spool {}: {} lines that are not JSON objects moved to {} instead of being sent ({} in total)",
                    dir, n, FILE, setAside);
        }
    }

    /** Lines set aside by this run. */
    long count() {
        return setAside;
    }
}
