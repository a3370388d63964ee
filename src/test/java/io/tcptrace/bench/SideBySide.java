package io.tcptrace.bench;

import io.tcptrace.bench.LoadGenerator.Workload;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The same bursts under each tracer in turn, in one run. Per tracer: an untraced burst (the
 * load generator's own rate, next to the traced one in time), then the tracer starts and, once
 * quiet, a cold burst (the first events after its start: JIT compilation is part of the cost),
 * a long warm-up, and a warm burst. For each burst: the tracer's CPU time (utime + stime of the
 * whole process from /proc/PID/stat, from before the burst until it has processed it), the
 * load generator's rate, and the records the tracer wrote about the burst's port.
 */
final class SideBySide {
    /** One measured burst under one tracer; CPU in µs. */
    record Phase(long connects, long failed, long untracedRate, long tracedRate, long cpuMicros, long records, double busySeconds,
            ThreadCpu.Split threads) {
        double cpuPerConnect() {
            return cpuMicros / (double) connects;
        }

        double cpuPerRecord() {
            return records == 0 ? Double.NaN : cpuMicros / (double) records;
        }

        double rateRatio() {
            return tracedRate / (double) untracedRate;
        }

        double recordsPerConnect() {
            return records / (double) connects;
        }
    }

    /** One tracer's life in this scenario: its two bursts, what it says it lost, its memory. */
    record Run(String tracer, String records, Phase cold, Phase warm, long lost, double peakRssMb, double hwmMb) {
    }

    /** Sizes: connects in the cold burst, in the warm-up, in the warm burst; refused or established connects. */
    record Shape(long cold, long warmup, long warm, boolean established) {
    }

    private final LoadGenerator load;
    private final Path work;

    SideBySide(LoadGenerator load, Path work) {
        this.load = load;
        this.work = work;
    }

    /** What one tracer's failure left (a long run goes on with the others and says so in the report). */
    final List<String> failures = new ArrayList<>();

    List<Run> run(List<TracerKind> kinds, Shape shape, int rounds) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (TracerKind kind : kinds) {
                try {
                    Run r = once(kind, shape);
                    System.out.println(ComparisonReport.line(r));
                    runs.add(r);
                } catch (Exception | AssertionError e) {
                    if (e instanceof InterruptedException) {
                        throw (InterruptedException) e;
                    }
                    String failure = kind.name() + " (round " + round + ") failed: " + e;
                    System.err.println("bench: " + failure);
                    failures.add(failure);
                }
            }
        }
        return runs;
    }

    private Run once(TracerKind kind, Shape shape) throws Exception {
        Workload w = Workload.burst(shape.warm()).established(shape.established());
        long untraced = load.run(Ports.free(), w).rate();
        int coldPort = Ports.free();
        int warmPort = Ports.free();
        Path dir = work.resolve("side-by-side");
        try (TracerUnderTest t = kind.start(dir)) {
            long pid = t.pid();
            RssSampler rss = new RssSampler(pid);
            long before = Settle.await(pid, 60).cpuMicros(); // what start-up still does after "ready" is not the burst's
            var coldThreads = ThreadCpu.snapshot(pid);
            LoadGenerator.Result cold = load.run(coldPort, w.withCount(shape.cold()));
            Settle.Point coldEnd = Settle.await(pid, 120);
            var coldSplit = ThreadCpu.split(coldThreads, ThreadCpu.snapshot(pid));
            if (shape.warmup() > 0) {
                load.run(Ports.free(), w.withCount(shape.warmup()));
            }
            long warmStart = Settle.await(pid, 120).cpuMicros();
            var warmThreads = ThreadCpu.snapshot(pid);
            LoadGenerator.Result warm = load.run(warmPort, w);
            Settle.Point warmEnd = Settle.await(pid, 120);
            var warmSplit = ThreadCpu.split(warmThreads, ThreadCpu.snapshot(pid));
            double hwm = ProcStat.hwmKb(pid) / 1024.0;
            double peak = rss.stop();
            long lost = t.lost();
            t.stop();
            Run run = new Run(kind.name(), kind.records(),
                    new Phase(cold.connects(), cold.failed(), untraced, cold.rate(), coldEnd.cpuMicros() - before, t.records(coldPort),
                            coldEnd.busySeconds(), coldSplit),
                    new Phase(warm.connects(), warm.failed(), untraced, warm.rate(), warmEnd.cpuMicros() - warmStart, t.records(warmPort),
                            warmEnd.busySeconds(), warmSplit),
                    lost, peak, hwm);
            BenchFiles.deleteTree(dir);
            return run;
        }
    }
}
