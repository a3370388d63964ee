package io.tcptrace.delivery;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What a delivery endpoint did with its records; read by the metrics (tcptrace_sink_*) and tests. */
public final class DeliveryStats {
    /** Why records were lost: one metric label each. */
    public enum Loss {
        /** The spool reached its size limit (maxSpoolBytes). */
        SPOOL_FULL("spool_full"),
        /** The disk refused a spool write (full, read-only, I/O error). */
        SPOOL_WRITE_FAILED("spool_write_failed"),
        /** A record cut in half by an abrupt stop (kill -9), found in the spool at start. */
        TORN_RECORD("torn_record"),
        /** A refused record could not be written to the dead-letter spool. */
        DEAD_LETTER_FAILED("dead_letter_failed"),
        /** A refused record found the dead-letter spool at its size limit. */
        DEAD_LETTER_FULL("dead_letter_full"),
        /** A spool line that is not JSON (disk damage, an edit) and could not be set aside either. */
        CORRUPT_LINE_LOST("corrupt_line_lost");

        public final String label;

        Loss(String label) {
            this.label = label;
        }
    }

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong resentAfterTimeout = new AtomicLong();
    private final AtomicLong resentAfterStop = new AtomicLong();
    private final Map<Loss, AtomicLong> lost = new EnumMap<>(Loss.class);

    DeliveryStats() {
        for (Loss l : Loss.values()) {
            lost.put(l, new AtomicLong());
        }
    }

    void delivered(long n, boolean fromSpool) {
        delivered.addAndGet(n);
        if (fromSpool) {
            replayed.addAndGet(n);
        }
    }

    void spooled(long n) {
        spooled.addAndGet(n);
    }

    void deadLettered(long n) {
        deadLettered.addAndGet(n);
    }

    void retried() {
        retries.incrementAndGet();
    }

    void timedOut() {
        resentAfterTimeout.incrementAndGet();
    }

    void resentAfterStop(long n) {
        resentAfterStop.addAndGet(n);
    }

    void lost(Loss why, long n) {
        lost.get(why).addAndGet(n);
    }

    /** Events delivered (acknowledged by the destination), from memory or the spool. */
    public long getDelivered() {
        return delivered.get();
    }

    /** Events written to the spool. */
    public long getSpooled() {
        return spooled.get();
    }

    /** Events delivered from the spool. */
    public long getReplayed() {
        return replayed.get();
    }

    /** Events refused for good, kept in the dead-letter spool. */
    public long getDeadLettered() {
        return deadLettered.get();
    }

    /** Failed delivery attempts (any retryable failure, timeouts included). */
    public long getRetries() {
        return retries.get();
    }

    /** Batches that got no answer in time and are sent again: their events may be stored twice. */
    public long getResentAfterTimeout() {
        return resentAfterTimeout.get();
    }

    /** Events a run was sending when it was killed or its stop deadline passed, sent again by this run: they may be stored twice. */
    public long getResentAfterStop() {
        return resentAfterStop.get();
    }

    public long getLost(Loss why) {
        return lost.get(why).get();
    }

    public long getLostTotal() {
        return lost.values().stream().mapToLong(AtomicLong::get).sum();
    }
}
