package io.tcptrace.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A file in a sink's spool directory that exists while the sink runs. Found at start, it says the
 * last run never reached its stop: killed (-9, the OOM killer, a unit's stop timeout), crashed or
 * cut off by a power loss. What that run held only in memory for the sink is gone, and no counter
 * could say how much: the start says so instead of staying silent.
 */
final class RunMarker {
    static final String NAME = "running";

    private RunMarker() {
    }

    /**
     * Marks {@code dir} as in use by this run; returns what the previous run's marker said (its
     * pid and start) when one was left behind. A marker that cannot be written is not an error:
     * the next start then cannot tell.
     */
    static Optional<String> begin(Path dir) {
        Path marker = dir.resolve(NAME);
        Optional<String> left = Optional.empty();
        try {
            if (Files.exists(marker)) {
                left = Optional.of(Files.readString(marker, StandardCharsets.UTF_8).strip());
            }
            Files.writeString(marker, "pid " + ProcessHandle.current().pid() + ", started " + Instant.now() + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            // a full or read-only disk: the spool itself reports it
        }
        return left;
    }

    /** This run stopped cleanly: whatever it held is spooled or counted. */
    static void end(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(NAME));
        } catch (IOException e) {
            // the next start then names this run as not stopped: a false alarm, never a silence
        }
    }
}
