package io.tcptrace.kernel;

import com.sun.jna.Pointer;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;

/**
 * Update events for connections that stay open: every sweep reads the keys of the kernel's
 * connection map ({@code conns}, one entry per open connection tracked for its close) in a few
 * batch reads, and hands them {@link #BATCH} at a time to bpf/tcpconnect.bpf.c's
 * {@code sweep_updates}: written into its {@code sweep_socks} array through the array's memory
 * mapping (no system call), then the program run once with BPF_PROG_TEST_RUN; the program itself decides which are due (not reported for the
 * update interval), reads their counters at BTF offsets and writes update records into the event
 * buffer. So a host without long-lived connections costs one batch read of an almost empty map
 * per sweep, and nothing on any connection's own path.
 *
 * <p>(The kernel's map element iterator would walk {@code conns} without copying its entries out,
 * but this kernel refuses to load one: EPERM, as for fentry.)
 */
final class ConnectionSweep implements AutoCloseable {
    static final String PROGRAM = "sweep_updates";
    /** Sockets per program run: its loop is verified once per iteration, so it stays short. */
    static final int BATCH = 64;
    private static final int KEY_CHUNK = 4096;

    private final BpfModule module;
    private final BpfMap conns;
    private final BpfMap socks;
    private final Pointer slots;

    ConnectionSweep(BpfModule module) {
        this.module = module;
        module.loadRunnable(PROGRAM);
        this.conns = module.map("conns");
        this.socks = module.map("sweep_socks");
        this.slots = socks.mapValues();
    }

    /**
     * How often to sweep for an update interval: a quarter of it, from 1 to 15 s, so an update
     * comes at most a quarter interval (15 s at most) after it is due.
     */
    static long periodMillis(int updateIntervalSeconds) {
        return Math.max(1_000, Math.min(15_000, updateIntervalSeconds * 250L));
    }

    /** One sweep; returns how many open connections it looked at. */
    int sweep() {
        long[] open = conns.longKeys(KEY_CHUNK);
        for (int from = 0; from < open.length; from += BATCH) {
            int n = Math.min(BATCH, open.length - from);
            slots.write(0, open, from, n);   // the run below reads them: BPF_PROG_TEST_RUN orders the two
            module.run(PROGRAM, n);
        }
        return open.length;
    }

    @Override
    public void close() {
        socks.unmapValues(slots);
    }
}
