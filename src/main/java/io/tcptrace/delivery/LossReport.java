package io.tcptrace.delivery;

import io.tcptrace.ops.RateLimit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says what a sink lost, from its one ledger ({@link DeliveryStats}), with the reasons the metric
 * uses: at once for the first loss, then at most once a minute, and once the minute is over even
 * when no more losses come ({@link #tick()}, called periodically), and whatever is left at stop.
 * Thread-safe: losses happen on the kernel reader's and the delivery thread.
 */
final class LossReport {
    private static final Logger LOG = LoggerFactory.getLogger(LossReport.class);

    private final String name;
    private final DeliveryStats stats;
    private final RateLimit limit;
    private final List<DiskTrouble> disks = new ArrayList<>();
    private final Map<DeliveryStats.Loss, Long> said = new EnumMap<>(DeliveryStats.Loss.class);

    LossReport(String name, DeliveryStats stats) {
        this(name, stats, RateLimit.MINUTE_NANOS);
    }

    LossReport(String name, DeliveryStats stats, long intervalNanos) {
        this.name = name;
        this.stats = stats;
        this.limit = new RateLimit(intervalNanos);
        for (DeliveryStats.Loss l : DeliveryStats.Loss.values()) {
            said.put(l, stats.getLost(l)); // an earlier start's losses were said by it
        }
    }

    /** A spool whose disk failure explains losses. */
    synchronized void watch(DiskTrouble disk) {
        disks.add(disk);
    }

    /** Records were just lost. */
    void lost() {
        if (limit.add(1) >= 0) {
            say();
        }
    }

    /** Periodic: what was lost since it was last said, once the minute is over. */
    void tick() {
        if (limit.due() >= 0) {
            say();
        }
    }

    /** At stop: whatever was not said yet. */
    void rest() {
        limit.rest();
        say();
    }

    private synchronized void say() {
        StringBuilder grew = new StringBuilder();
        StringBuilder total = new StringBuilder();
        StringBuilder advice = new StringBuilder();
        long sum = 0;
        for (DeliveryStats.Loss l : DeliveryStats.Loss.values()) {
            long now = stats.getLost(l);
            long delta = now - said.get(l);
            if (now > 0) {
                total.append(total.length() == 0 ? "" : ", ").append(l.label).append('=').append(now);
            }
            if (delta > 0) {
                sum += delta;
                grew.append(grew.length() == 0 ? "" : ", ").append(l.label).append(" +").append(delta);
                advice.append(advice.length() == 0 ? "" : "; ").append(advice(l));
                said.put(l, now);
            }
        }
        if (sum > 0) {
            LOG.error("{}: lost {} records ({}; in total {}): {}", name, sum, grew, total, advice);
        }
    }

    private String advice(DeliveryStats.Loss l) {
        String disk = disks.stream().map(DiskTrouble::cause).filter(c -> c != null).findFirst()
                .map(c -> " (" + c + ")").orElse("");
        return switch (l) {
            case SPOOL_FULL -> "the spool is at its size limit: raise the sink's spool-max-bytes, or get the destination"
                    + " to take the backlog";
            case SPOOL_WRITE_FAILED -> "the disk refuses spool writes" + disk + ": free disk space";
            case TORN_RECORD -> "a record cut short by an abrupt stop (kill -9, power loss) was dropped at start";
            case DEAD_LETTER_FULL -> "the dead-letter spool is at its size limit (dead-letter-max-bytes): resend it"
                    + " (resend-dead-letter) or remove it";
            case DEAD_LETTER_FAILED -> "the dead-letter spool cannot be written" + disk + ": free disk space";
            case CORRUPT_LINE_LOST -> "spool lines that are not JSON could not be set aside" + disk;
        };
    }
}
