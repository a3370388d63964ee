package io.tcptrace.process;

/** At most {@code perSecond} permits in each second; a permit is never waited for. */
final class RateLimit {
    private final int perSecond;
    private long windowStart;
    private int used;

    RateLimit(int perSecond) {
        this.perSecond = perSecond;
    }

    synchronized boolean tryAcquire() {
        long now = System.nanoTime();
        if (now - windowStart >= 1_000_000_000L) {
            windowStart = now;
            used = 0;
        }
        if (used >= perSecond) {
            return false;
        }
        used++;
        return true;
    }
}
