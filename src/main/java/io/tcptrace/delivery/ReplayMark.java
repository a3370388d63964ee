package io.tcptrace.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file in a sink's spool directory saying how many spooled records a replay is sending, from
 * just before the send until the replay position moves past them. Found at the start after an
 * unclean stop ({@link RunMarker}), those records may have reached the destination and are sent
 * again: counted as possibly stored twice instead of silently.
 */
final class ReplayMark {
    static final String NAME = "sending";

    private ReplayMark() {
    }

    /** Before a replay send; a mark that cannot be written only leaves a possible duplicate uncounted. */
    static void sending(Path dir, int records) {
        try {
            Files.writeString(dir.resolve(NAME), Integer.toString(records), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            // the spool's own writes report a disk that refuses
        }
    }

    /** After the replay position was committed. */
    static void sent(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(NAME));
        } catch (IOException e) {
            // at worst the next unclean start counts records that were not sent twice
        }
    }

    /** Records a previous run was sending when it stopped, or 0; the mark is removed. */
    static long takeLeft(Path dir) {
        Path mark = dir.resolve(NAME);
        try {
            if (!Files.exists(mark)) {
                return 0;
            }
            String text = Files.readString(mark, StandardCharsets.US_ASCII).strip();
            Files.delete(mark);
            return Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
