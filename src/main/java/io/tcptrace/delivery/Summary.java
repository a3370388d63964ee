package io.tcptrace.delivery;

/**
 * The delivery's rate-limited log lines: a count that is said at most once per interval, as the
 * sum of what happened since it was last said. Not thread-safe: one delivery thread uses it.
 */
final class Summary {
    private final long intervalNanos;
    private long lastSaid;
    private boolean said;
    private long since;

    Summary(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /** Adds {@code n}; returns the sum to say now (then starts again from 0), or -1 when it is not time yet. */
    long add(long n) {
        since += n;
        long now = System.nanoTime();
        if (said && now - lastSaid < intervalNanos) {
            return -1;
        }
        said = true;
        lastSaid = now;
        long sum = since;
        since = 0;
        return sum;
    }
}
