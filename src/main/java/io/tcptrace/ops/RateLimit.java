package io.tcptrace.ops;

/**
 * The one rate limit behind every repeated WARN and ERROR of the delivery and the sinks: a count
 * said at most once per interval, as the sum of what happened since it was last said. The first
 * occurrence is said at once; what comes within the interval waits for the next occurrence after
 * it, or for {@link #due()}, which a periodic task calls so a summary never waits for more of the
 * same. Thread-safe.
 */
public final class RateLimit {
    public static final long MINUTE_NANOS = 60_000_000_000L;

    private final long intervalNanos;
    private long lastSaid;
    private boolean said;
    private long since;

    public RateLimit(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    public static RateLimit perMinute() {
        return new RateLimit(MINUTE_NANOS);
    }

    /** Adds {@code n}; returns the sum to say now (then starts again from 0), or -1 when it is not time yet. */
    public synchronized long add(long n) {
        since += n;
        return sayIf(!said || System.nanoTime() - lastSaid >= intervalNanos);
    }

    /** The sum not said yet once the interval has passed (a periodic summary), else -1. */
    public synchronized long due() {
        return since > 0 ? sayIf(System.nanoTime() - lastSaid >= intervalNanos) : -1;
    }

    /** The sum not said yet, whatever the time (at stop), or -1 when there is none. */
    public synchronized long rest() {
        return since > 0 ? sayIf(true) : -1;
    }

    private long sayIf(boolean now) {
        if (!now) {
            return -1;
        }
        said = true;
        lastSaid = System.nanoTime();
        long sum = since;
        since = 0;
        return sum;
    }
}
