package io.tcptrace.kernel;

import io.tcptrace.bcc.Libc;

/**
 * Turns bpf_ktime_get_ns() values (CLOCK_MONOTONIC) into wall-clock time. The offset
 * between the two clocks moves when NTP steps the wall clock, so it is re-measured at most
 * once a second by the poll thread.
 */
public final class KernelClock {
    private static final long REFRESH_NANOS = 1_000_000_000L;
    private long offsetNanos;
    private long measuredAtMonotonic = Long.MIN_VALUE;

    /** Wall-clock time of a monotonic timestamp, in microseconds since the epoch. */
    public long toEpochMicros(long monotonicNanos) {
        return Math.floorDiv(monotonicNanos + offset(), 1000);
    }

    public long offset() {
        long now = System.nanoTime();
        if (measuredAtMonotonic == Long.MIN_VALUE || now - measuredAtMonotonic > REFRESH_NANOS) {
            offsetNanos = measure();
            measuredAtMonotonic = now;
        }
        return offsetNanos;
    }

    /** Takes the sample with the tightest bracket of the realtime read by two monotonic reads. */
    private static long measure() {
        long best = 0;
        long bestGap = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long before = Libc.clockNanos(Libc.CLOCK_MONOTONIC);
            long wall = Libc.clockNanos(Libc.CLOCK_REALTIME);
            long after = Libc.clockNanos(Libc.CLOCK_MONOTONIC);
            if (after - before < bestGap) {
                bestGap = after - before;
                best = wall - (before + (after - before) / 2);
            }
        }
        return best;
    }
}
