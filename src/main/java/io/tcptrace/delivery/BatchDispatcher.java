package io.tcptrace.delivery;

import io.tcptrace.ops.RateLimit;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one batch through the {@link BatchSender} and settles what each answer settles:
 * delivered records are counted, refused ones dead-lettered, a batch too large for the
 * destination is split in halves down to one record. It keeps the batch cut: the size the
 * destination accepted after a "too large" (never raised again), and a smaller cut after a
 * timeout (raised again, doubling, by each batch delivered in full). Used by the delivery
 * thread only.
 */
final class BatchDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(BatchDispatcher.class);

    /** How a send ended: records at the head of the batch that are settled, and why the rest are not. */
    record Sent(int settled, String failure) {
        boolean complete() {
            return failure == null;
        }
    }

    private final String name;
    private final BatchSender sender;
    private final Spool deadLetter;
    private final DeliveryStats stats;
    private final int maxEvents;
    // Learned from "too large" answers: the destination's limit, so never raised again. Written by
    // the delivery thread; cutEvents() is also read by offer() on the kernel reader's thread.
    private volatile int limitEvents;
    private long limitBytes;
    // Lowered by timeouts, raised again by batches delivered in full.
    private volatile int slowEvents;
    private boolean timeoutWarned;
    private final RateLimit rejectedLog = RateLimit.perMinute();
    private final RateLimit misconfiguredLog = RateLimit.perMinute();
    /** The destination's refusal of this sink's configuration, until it accepts again; null when none. */
    private volatile String misconfigured;

    BatchDispatcher(String name, BatchSender sender, Spool deadLetter, DeliveryStats stats, int maxEvents,
                    long maxBytes) {
        this.name = name;
        this.sender = sender;
        this.deadLetter = deadLetter;
        this.stats = stats;
        this.maxEvents = maxEvents;
        this.limitEvents = maxEvents;
        this.limitBytes = maxBytes;
        this.slowEvents = maxEvents;
    }

    /** Most records in the next batch. */
    int cutEvents() {
        return Math.min(limitEvents, slowEvents);
    }

    /** Most bytes in the next batch (records plus a newline each). */
    long cutBytes() {
        return limitBytes;
    }

    /** The sender's {@link BatchSender#connect()}, before the first send: a failure is handled as a send's. */
    Sent connect() {
        BatchSender.Result r = sender.connect();
        return switch (r.outcome()) {
            case DELIVERED -> new Sent(0, null);
            case MISCONFIGURED -> {
                refusedConfiguration(r.reason());
                yield new Sent(0, r.reason());
            }
            default -> new Sent(0, r.reason());
        };
    }

    Sent send(List<byte[]> batch, boolean fromSpool, BatchSender.Waiting waiting) {
        int from = 0;
        while (from < batch.size()) {
            List<byte[]> part = batch.subList(from, from + fit(batch, from));
            BatchSender.Result r = sender.send(part, waiting);
            switch (r.outcome()) {
                case DELIVERED -> {
                    if (misconfigured != null) {
                        LOG.info("{}: the destination accepts records again: the refusal ({}) is over", name,
                                misconfigured);
                        misconfigured = null;
                    }
                    stats.delivered(part.size(), fromSpool);
                    from += part.size();
                    slowEvents = Math.min(maxEvents, slowEvents * 2);
                }
                case REJECTED -> {
                    int accepted = Math.min(r.accepted(), part.size());
                    int refused = Math.min(part.size() - accepted, Math.max(1, r.rejected()));
                    stats.delivered(accepted, fromSpool);
                    deadLetter(part.subList(accepted, accepted + refused), r.reason());
                    from += accepted + refused;
                }
                case TOO_LARGE -> {
                    if (part.size() == 1) {
                        LOG.error("{}: a single record of {} bytes is too large for the destination ({}): moved to the"
                                + " dead-letter spool {}; raise the destination's request size limit", name,
                                part.get(0).length, r.reason(), deadLetter.dir());
                        deadLetter(part, null);
                        from += 1;
                    } else {
                        int half = part.size() / 2;
                        limitEvents = half;
                        limitBytes = bytes(part.subList(0, half));
                        LOG.info("{}: the destination refused {} records ({} bytes) as too large ({}): batches are cut"
                                + " to {} records and {} bytes from now on", name, part.size(), bytes(part), r.reason(),
                                limitEvents, limitBytes);
                    }
                }
                case TIMED_OUT -> {
                    stats.retried();
                    stats.timedOut();
                    slowEvents = Math.max(1, part.size() / 2);
                    if (!timeoutWarned) {
                        timeoutWarned = true;
                        LOG.warn("{}: no answer in time ({}). The batch is sent again and may be stored twice (counted"
                                + " in tcptrace_sink_resent_after_timeout_total); batches are made smaller. Said once.",
                                name, r.reason());
                    }
                    return new Sent(from, "no answer in time: " + r.reason());
                }
                case MISCONFIGURED -> {
                    stats.retried();
                    refusedConfiguration(r.reason());
                    return new Sent(from, r.reason());
                }
                default -> {
                    stats.retried();
                    return new Sent(from, r.reason());
                }
            }
        }
        return new Sent(from, null);
    }

    private void refusedConfiguration(String reason) {
        misconfigured = reason;
        if (misconfiguredLog.add(1) >= 0) {
            LOG.error("{}: the destination refuses this sink's configuration: {}. The records wait in the spool and are"
                    + " sent as soon as it accepts them (said again at most once a minute while it lasts)", name, reason);
        }
    }

    /** Why the destination refuses this sink's configuration, while it does; null otherwise. */
    String misconfigured() {
        return misconfigured;
    }

    /** Records from {@code from} that fit the cut; at least one. */
    private int fit(List<byte[]> batch, int from) {
        int events = cutEvents();
        long maxBytes = cutBytes();
        int n = 0;
        long bytes = 0;
        while (from + n < batch.size() && n < events) {
            long next = batch.get(from + n).length + 1L;
            if (n > 0 && bytes + next > maxBytes) {
                break;
            }
            bytes += next;
            n++;
        }
        return n;
    }

    /**
     * Dead-letters refused records; one ERROR for the first refusal, then at most one a minute.
     * What the dead-letter spool cannot take it counts lost itself (dead_letter_full or _failed).
     */
    private void deadLetter(List<byte[]> refused, String reason) {
        if (deadLetter.append(refused)) {
            deadLetter.flush();   // a refused write is held by the spool and retried, not lost
            stats.deadLettered(refused.size());
        }
        if (reason == null) {
            return; // logged by the caller
        }
        long rejected = rejectedLog.add(refused.size());
        if (rejected >= 0) {
            LOG.error("{}: the destination refused {} records for good ({}): moved to the dead-letter spool {}; fix the"
                    + " cause, then start once with the sink's resend-dead-letter setting true ({} dead-lettered so far; repeats"
                    + " are summed up at most once a minute)", name, rejected, reason, deadLetter.dir(),
                    stats.getDeadLettered());
        }
    }

    static long bytes(List<byte[]> records) {
        long n = 0;
        for (byte[] r : records) {
            n += r.length + 1L;
        }
        return n;
    }
}
