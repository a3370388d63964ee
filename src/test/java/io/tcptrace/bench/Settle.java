package io.tcptrace.bench;

/**
 * Waits until a tracer has caught up with the load: its CPU time grows by less than 20 ms in a
 * second (2% of a core; an idle tracer's timers stay below that), so what the burst left in its
 * buffers has been processed.
 */
final class Settle {
    private static final long WINDOW_NANOS = 1_000_000_000L;
    private static final long QUIET_MICROS = 20_000;

    /** CPU time at the end, and seconds from the call until the tracer's last busy moment. */
    record Point(long cpuMicros, double busySeconds) {
    }

    private Settle() {
    }

    /** The process's CPU time (µs, all threads) once it has gone quiet, or after {@code maxSeconds}. */
    static Point await(long pid, int maxSeconds) throws InterruptedException {
        long start = System.nanoTime();
        long windowStart = start;
        long windowCpu = ProcStat.cpuMicros(pid);
        while (true) {
            Thread.sleep(100);
            long now = System.nanoTime();
            long cpu = ProcStat.cpuMicros(pid);
            if (cpu < 0) {
                throw new IllegalStateException("process " + pid + " ended while being measured");
            }
            if (cpu - windowCpu >= QUIET_MICROS) {
                windowStart = now; // still busy: the quiet second starts again
                windowCpu = cpu;
            } else if (now - windowStart >= WINDOW_NANOS || now - start > maxSeconds * 1_000_000_000L) {
                return new Point(cpu, (windowStart - start) / 1e9);
            }
        }
    }
}
