package io.tcptrace.delivery;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the previous run left for a sink, said at its start: a stop that was not clean
 * ({@link RunMarker}), records it was sending that go out again ({@link ReplayMark}, counted),
 * what waits in the dead-letter spool (moved back into the spool with resend-dead-letter), and
 * what the spool holds to replay.
 */
final class LastRun {
    private static final Logger LOG = LoggerFactory.getLogger(LastRun.class);

    private LastRun() {
    }

    static void takeOver(String name, Path dir, DeliveryConfiguration config, DeliveryStats stats, Spool spool,
                         Spool deadLetter) throws IOException {
        Optional<String> unclean = RunMarker.begin(dir);
        long resending = ReplayMark.takeLeft(dir);
        unclean.ifPresent(previous -> LOG.warn("{}: the last run ({}) did not stop cleanly (killed, crashed, or the power"
                + " failed): what it held in memory for this sink, up to {} records, was lost without being counted;"
                + " what it had spooled is replayed", name, previous.isEmpty() ? "unknown" : previous,
                config.getQueueCapacity()));
        if (resending > 0) {
            stats.resentAfterStop(resending);
            LOG.warn("{}: the last run stopped while sending {} records ({}): they are sent again and the destination"
                    + " may store them twice (counted in tcptrace_sink_resent_after_stop_total)", name, resending,
                    unclean.isPresent() ? "it was killed" : "its stop deadline passed");
        }
        if (deadLetter.hasSealed()) {
            long records = deadLetter.sealedRecords();
            if (config.isResendDeadLetter()) {
                long bytes = spool.adoptSealedOf(deadLetter);
                LOG.info("{}: {} records ({} bytes) moved from the dead-letter spool {} back into the spool: they are"
                        + " sent again after what the spool held", name, records, bytes, deadLetter.dir());
            } else {
                LOG.warn("{}: {} records ({} bytes) the destination refused wait in the dead-letter spool {}. Fix the"
                        + " cause (the ERROR that dead-lettered them names it), then start once with the {}"
                        + " resend-dead-letter setting true to send them again.", name, records,
                        deadLetter.bytesOnDisk(), deadLetter.dir(), name);
            }
        }
        if (!spool.isEmpty()) {
            LOG.info("{} spool holds {} bytes from an earlier run: replaying once {} is healthy", name,
                    spool.sizeBytes(), name);
        }
    }
}
