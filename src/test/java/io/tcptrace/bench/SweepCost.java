package io.tcptrace.bench;

import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.kernel.ConnectTracer;
import io.tcptrace.kernel.ProbeMode;
import io.tcptrace.kernel.TracerConfiguration;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What update events cost the tracer: the CPU of one sweep (the batch read of the connection
 * map's keys and the runs of sweep_updates, measured as the sweeping thread's user and system
 * time, the BPF program included since BPF_PROG_TEST_RUN runs it in that thread) with N
 * connections open, when every one is due an update and when none is; and how long the start-up
 * search takes to find N connections open before the tracer. In-process, on loopback: each
 * connection is two sockets, both tracked.
 */
final class SweepCost {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int ROUNDS = 5;

    private SweepCost() {
    }

    private static io.tcptrace.process.TestProgram program;

    static String run(int[] sizes) throws Exception {
        program = new io.tcptrace.process.TestProgram();
        StringBuilder out = new StringBuilder("### Update events: the sweep\n\n"
                + "| connections open on loopback (sockets tracked: both ends) | one sweep, all due: CPU ms (median of " + ROUNDS + ") | update"
                + " records | one sweep, none due: CPU ms | start-up search finding them: ms, found |\n|---|---|---|---|---|\n");
        for (int n : sizes) {
            out.append(size(n)).append('\n');
            System.out.println("bench: sweep with " + n + " connections done");
        }
        program.close();
        return out.toString();
    }

    private static String size(int n) throws Exception {
        List<SocketChannel> sockets = new ArrayList<>();
        List<Process> children = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            AtomicLong updates = new AtomicLong();
            TracerConfiguration c = new TracerConfiguration();
            c.setProbe(ProbeMode.TRACEPOINT);
            c.setUpdateInterval(1);
            c.setExcludeOwnPid(false);
            c.setProcessContext(false);
            c.setDestPorts(Integer.toString(server.socket().getLocalPort()));
            String seed;
            long[] found;
            // the connections first, so the tracer's start-up search finds them: the clients in a child
            // process (each process may hold 20,000 files here), the accepted sides in this one
            Process holder = new ProcessBuilder(program.binary.toString(), "--hold", "127.0.0.1",
                    Integer.toString(server.socket().getLocalPort()), Integer.toString(n)).start();
            children.add(holder);
            for (int i = 0; i < n; i++) {
                sockets.add(server.accept());
            }
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
            String pid = out.readLine();
            String held = out.readLine();
            if (pid == null || !("held " + n).equals(held)) {
                throw new IllegalStateException("the connection holder said " + held);
            }
            long[] all = new long[ROUNDS];
            long[] none = new long[ROUNDS];
            long started = System.nanoTime();
            try (ConnectTracer tracer = ConnectTracer.open(c, batch -> {
                for (ConnectionEvent e : batch) {
                    if (e.type() == Type.UPDATE) {
                        updates.incrementAndGet();
                    }
                }
            })) {
                seed = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e6);
                found = tracer.openConnectionsFound();
                for (int r = 0; r < ROUNDS; r++) {
                    Thread.sleep(1_100);   // the interval passed: every connection is due
                    all[r] = cpu(tracer);
                    none[r] = cpu(tracer);   // right after: none is
                    drain(tracer);
                }
                drain(tracer);
            }
            Arrays.sort(all);
            Arrays.sort(none);
            return String.format(Locale.ROOT, "| %,d (%,d) | %.2f | %,d of %,d | %.2f | %.1f ms (the whole start %s ms), %,d found |",
                    n, 2 * n, all[ROUNDS / 2] / 1e6, updates.get(), 2L * n * ROUNDS, none[ROUNDS / 2] / 1e6,
                    found[1] / 1e3, seed, found[0]);
        } finally {
            for (Process p : children) {
                p.getOutputStream().close();   // its stdin closed: it closes its connections and exits
                p.waitFor();
            }
            for (SocketChannel s : sockets) {
                s.close();
            }
        }
    }

    private static long cpu(ConnectTracer tracer) {
        long before = THREADS.getCurrentThreadCpuTime();
        tracer.sweepUpdates();
        return THREADS.getCurrentThreadCpuTime() - before;
    }

    private static void drain(ConnectTracer tracer) {
        for (int i = 0; i < 20; i++) {
            tracer.poll(10);
        }
    }
}
