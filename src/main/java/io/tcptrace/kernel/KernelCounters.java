package io.tcptrace.kernel;

/**
 * What the kernel side did not deliver, summed over CPUs since the program was loaded.
 *
 * @param lostBufferFull  events dropped because the ring/perf buffer had no room
 * @param lostUntracked   connects seen but not tracked because the pending map was full
 * @param filtered        connects dropped on purpose by a kernel-side filter
 * @param perfReportedLost records the perf subsystem reported lost (perf transport). It lags: perf reports a
 *                        loss only when it next writes a record. lostBufferFull is the exact count.
 */
public record KernelCounters(long lostBufferFull, long lostUntracked, long filtered, long perfReportedLost) {
    /** Events that should have been delivered but were not. */
    public long lost() {
        return lostBufferFull + lostUntracked;
    }
}
