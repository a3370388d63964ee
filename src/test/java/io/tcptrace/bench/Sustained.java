package io.tcptrace.bench;

import io.tcptrace.bench.LoadGenerator.Workload;
import java.nio.file.Path;

/**
 * A steady paced load for a long time under one tracer, after a warm-up: does it keep up, and
 * what does it lose? With a busy core (a spinning process pinned to one CPU during the load),
 * the same under contention. Loss is counted from what reached the tracer's output: connects
 * minus records for refused connects (one record each for tcptrace and tcplife), and the
 * tracer's own lost counter beside it.
 */
final class Sustained {
    /** One run; CPU in µs over the paced load and the drain after it. */
    record Run(String tracer, Workload workload, LoadGenerator.Result load, long cpuMicros, long records, long lost,
            double peakRssMb, double busySeconds) {
        /** Records missing from the output, as a share of the connects (refused connects: one record each). */
        double missingShare() {
            return Math.max(0, load.connects() - records) / (double) load.connects();
        }

        double cpuShare() {
            return cpuMicros / 1e6 / load.seconds();
        }
    }

    private final LoadGenerator load;
    private final Path work;
    private final long warmup;

    Sustained(LoadGenerator load, Path work, long warmup) {
        this.load = load;
        this.work = work;
        this.warmup = warmup;
    }

    Run run(TracerKind kind, Workload w) throws Exception {
        Path dir = work.resolve("sustained");
        int port = Ports.free();
        try (TracerUnderTest t = kind.start(dir)) {
            long pid = t.pid();
            if (warmup > 0) {
                load.run(Ports.free(), Workload.burst(warmup).established(w.established()));
            }
            long before = Settle.await(pid, 120).cpuMicros();
            RssSampler rss = new RssSampler(pid);
            LoadGenerator.Result r = load.run(port, w);
            Settle.Point end = Settle.await(pid, 300);
            double peak = rss.stop();
            long lost = t.lost();
            t.stop();
            Run run = new Run(kind.name(), w, r, end.cpuMicros() - before, t.records(port), lost, peak, end.busySeconds());
            BenchFiles.deleteTree(dir);
            System.out.println(ComparisonReport.line(run));
            return run;
        }
    }
}
