package io.tcptrace.delivery;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter: a random wait up to base * 2^attempt, capped. */
final class Backoff {
    private final long baseMillis;
    private final long maxMillis;
    private int attempt;

    Backoff(long baseMillis, long maxMillis) {
        this.baseMillis = baseMillis;
        this.maxMillis = maxMillis;
    }

    long nextDelayMillis() {
        long ceiling = Math.min(maxMillis, baseMillis << Math.min(attempt, 20));
        attempt++;
        return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    }

    void reset() {
        attempt = 0;
    }

    int attempts() {
        return attempt;
    }
}
