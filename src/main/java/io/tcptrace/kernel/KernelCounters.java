package io.tcptrace.kernel;

/**
 * What the kernel side did not deliver, summed over CPUs since the program was loaded.
 *
 * @param lostBufferFull  events dropped because the ring/perf buffer had no room
 * @param lostUntracked   connects seen but not tracked because the pending map was full
 * @param filtered        connects dropped on purpose by a kernel-side filter
 * @param malformed       records read that matched no known layout (never expected), dropped
 */
public record KernelCounters(long lostBufferFull, long lostUntracked, long filtered, long malformed) {
    /** Events that should have been delivered but were not. */
    public long lost() {
        return lostBufferFull + lostUntracked + malformed;
    }
}
