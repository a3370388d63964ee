package io.tcptrace.kernel;

/**
 * What the kernel side did not deliver, summed over CPUs since the program was loaded.
 *
 * @param lostBufferFull  events dropped because the ring/perf buffer had no room
 * @param lostUntracked   connects seen but not tracked because the pending map was full
 * @param filtered        connects dropped on purpose by a kernel-side filter
 * @param lostConnFull    established connections whose close could not be reported: connection map full
 * @param malformed       records read that matched no known layout (never expected), dropped
 * @param lostProcess     process records (exec, fork, exit) the ring buffer had no room for: the
 *                        process's events then carry /proc's answer or no context, but are not lost
 * @param lostProcessArgs execs whose command line the kernel could not keep (exec_args map full):
 *                        read from /proc instead while the process lives
 */
public record KernelCounters(long lostBufferFull, long lostUntracked, long filtered, long lostConnFull,
        long malformed, long lostProcess, long lostProcessArgs) {
    public static final KernelCounters NONE = new KernelCounters(0, 0, 0, 0, 0, 0, 0);

    /** Connection events that should have been delivered but were not (process records are not events). */
    public long lost() {
        return lostBufferFull + lostUntracked + lostConnFull + malformed;
    }
}
