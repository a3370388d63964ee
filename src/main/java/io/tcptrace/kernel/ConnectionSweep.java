package io.tcptrace.kernel;

import com.sun.jna.Pointer;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.Libc;

/**
 * Update events for connections that stay open: every sweep reads the kernel's connection map
 * ({@code conns}, one entry per open connection tracked for its close) in a few batch reads,
 * keeps the connections due an update (not reported for the update interval, by the entry's own
 * timestamps), and hands them {@link #BATCH} at a time, as the arguments of one
 * BPF_PROG_TEST_RUN, to bpf/tcpconnect.bpf.c's {@code sweep_updates}, which checks them again,
 * reads their counters at BTF offsets and writes update records into the event buffer. So a sweep
 * with nothing due makes no program run at all, and no connection pays anything on its own path.
 *
 * <p>(The kernel's map element iterator would walk {@code conns} in the kernel, but this kernel
 * refuses to load one: EPERM, as for fentry; a program looping over 64 sockets of a map was too
 * complex for Linux 6.1's verifier.)
 */
final class ConnectionSweep {
    static final String PROGRAM = "sweep_updates";
    /** Sockets per program run: the arguments of a raw tracepoint's context, after their count. */
    static final int BATCH = BpfModule.MAX_RUN_ARGS - 1;
    // struct conn_t in bpf/tcpconnect.bpf.c, little endian; RecordLayoutTest checks them against its _Static_asserts
    static final int CONN_ESTABLISHED_NS = 0;
    static final int CONN_UPDATED_NS = 8;
    private static final int KEY_CHUNK = 4096;

    private final BpfModule module;
    private final BpfMap conns;
    private final long intervalNanos;

    ConnectionSweep(BpfModule module, int updateIntervalSeconds) {
        this.module = module;
        module.loadRunnable(PROGRAM);
        this.conns = module.map("conns");
        this.intervalNanos = updateIntervalSeconds * 1_000_000_000L;
    }

    /**
     * How often to sweep for an update interval: a quarter of it, from 1 to 15 s, so an update
     * comes at most a quarter interval (15 s at most) after it is due.
     */
    static long periodMillis(int updateIntervalSeconds) {
        return Math.max(1_000, Math.min(15_000, updateIntervalSeconds * 250L));
    }

    /** One sweep; returns how many connections were due an update. */
    int sweep() {
        long now = Libc.clockNanos(Libc.CLOCK_MONOTONIC);   // bpf_ktime_get_ns()'s clock
        long[] due = conns.longKeys(KEY_CHUNK, (Pointer values, long at) -> {
            long updated = values.getLong(at + CONN_UPDATED_NS);
            long last = updated != 0 ? updated : values.getLong(at + CONN_ESTABLISHED_NS);
            return now - last >= intervalNanos;
        });
        long[] args = new long[BATCH + 1];   // always all of them: the kernel refuses a context shorter than the program reads
        for (int from = 0; from < due.length; from += BATCH) {
            int n = Math.min(BATCH, due.length - from);
            java.util.Arrays.fill(args, 0);
            args[0] = n;
            System.arraycopy(due, from, args, 1, n);
            module.run(PROGRAM, args);
        }
        return due.length;
    }
}
