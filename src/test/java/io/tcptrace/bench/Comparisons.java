package io.tcptrace.bench;

import io.tcptrace.bench.LoadGenerator.Workload;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The scenarios that put tcptrace beside bpftrace and libbpf-tools: {@code peers} (a burst,
 * cold and warm), {@code established} (connections that are accepted and closed, for
 * tcplife), {@code sustained} (a long paced load, file sink) and {@code contention} (the same
 * with one core kept busy, tcptrace's loss beside tcplife's).
 */
final class Comparisons {
    static final List<String> SCENARIOS = List.of("peers", "established", "sustained", "contention");

    /** All from {@code -Dbench.*} properties; defaults fit the whole benchmark into about 15 minutes. */
    record Settings(List<String> tracers, int rounds, long cold, long warmup, long burst, List<String> establishedTracers,
            long establishedCold, long establishedWarmup, long establishedBurst, List<String> sustainedTracers,
            boolean sustainedEstablished, long sustainedRate, int sustainedSeconds, long sustainedWarmup, List<String> contentionTracers,
            List<Long> contentionRates, int contentionSeconds, int busyCore) {
        static Settings fromSystemProperties(int nice) {
            String ours = "tcptrace-nice" + nice;
            return new Settings(list("bench.tracers", ours + ",tcptrace-nice0," + ours + TracerKind.SPLUNK + ",bpftrace,tcpstates,tcplife"),
                    Integer.getInteger("bench.peer-rounds", 1), Long.getLong("bench.cold-events", 200_000),
                    Long.getLong("bench.warmup", 600_000), Long.getLong("bench.peer-burst", 200_000),
                    list("bench.established-tracers", ours + ",tcplife,tcpstates"),
                    Long.getLong("bench.established-cold", 100_000), Long.getLong("bench.established-warmup", 100_000),
                    Long.getLong("bench.established-burst", 100_000), list("bench.sustained-tracers", ours),
                    System.getProperty("bench.sustained-mode", "refused").equals("established"),
                    Long.getLong("bench.sustained-rate", 50_000), Integer.getInteger("bench.sustained-seconds", 60),
                    Long.getLong("bench.sustained-warmup", 200_000), list("bench.contention-tracers", ours + ",tcplife"),
                    list("bench.contention-rates", "20000,40000").stream().map(Settings::rate).toList(),
                    Integer.getInteger("bench.contention-seconds", 60),
                    Integer.getInteger("bench.busy-core", Runtime.getRuntime().availableProcessors() - 1));
        }

        private static long rate(String text) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bench.contention-rates: '" + text
                        + "' is not a number of connects per second (e.g. 20000,40000)");
            }
        }

        private static List<String> list(String key, String def) {
            return new ArrayList<>(new LinkedHashSet<>(Arrays.stream(System.getProperty(key, def).split(","))
                    .map(String::trim).filter(x -> !x.isEmpty()).toList()));
        }
    }

    private final Settings s;
    private final Path jar;
    private final List<String> jvmOptions;
    private final LoadGenerator load;
    private final Path work;
    private final ComparisonReport report = new ComparisonReport();

    Comparisons(Settings s, Path jar, List<String> jvmOptions, LoadGenerator load, Path work) {
        this.s = s;
        this.jar = jar;
        this.jvmOptions = jvmOptions;
        this.load = load;
        this.work = work;
    }

    /** Fails on a tracer name it does not know, before anything runs. */
    static void check(Settings s) {
        List.of(s.tracers(), s.establishedTracers(), s.sustainedTracers(), s.contentionTracers())
                .forEach(names -> names.forEach(n -> TracerKind.named(n, Path.of("-"), List.of())));
    }

    void run(Set<String> scenarios) throws Exception {
        if (scenarios.contains("peers")) {
            sideBySide("Side by side: a burst of refused connects under each tracer", s.tracers(),
                    new SideBySide.Shape(s.cold(), s.warmup(), s.burst(), false));
        }
        if (scenarios.contains("established")) {
            sideBySide("Side by side: established connections (connect, accept, close on both ends)",
                    s.establishedTracers(),
                    new SideBySide.Shape(s.establishedCold(), s.establishedWarmup(), s.establishedBurst(), true));
        }
        if (scenarios.contains("sustained")) {
            Workload w = Workload.paced(s.sustainedRate(), s.sustainedSeconds()).established(s.sustainedEstablished());
            List<Sustained.Run> runs = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (String name : s.sustainedTracers()) {
                sustained(kind(name), w, runs, failures);
            }
            report.sustained("Sustained load, file sink", String.format("%s, after a warm-up of %,d connects flat out;"
                    + " records counted in the tracer's output, missing = connects - records. Target (issue 10): 60 s"
                    + " at 50,000/s with zero loss.", w.describe(), s.sustainedWarmup()), runs, failures);
        }
        if (scenarios.contains("contention")) {
            List<Sustained.Run> runs = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (long rate : s.contentionRates()) {
                Workload w = Workload.paced(rate, s.contentionSeconds()).established(s.sustainedEstablished())
                        .withBusyCore(s.busyCore());
                for (String name : s.contentionTracers()) {
                    sustained(kind(name), w, runs, failures);
                }
            }
            report.sustained("Under contention: one core kept busy", String.format("A process spinning on CPU %d for"
                    + " the whole paced load (connect-burst -b), each tracer after a warm-up of %,d connects flat out"
                    + " (without the spinner). Target (issue 10): zero loss at 20,000/s; at 40,000/s at most the"
                    + " loss of C tcplife.", s.busyCore(), s.sustainedWarmup()), runs, failures);
            report.lossRatios(runs);
        }
    }

    /** One sustained run; a tracer that is missing or fails is reported, and the others still run. */
    private void sustained(TracerKind k, Workload w, List<Sustained.Run> runs, List<String> failures) throws Exception {
        if (!k.available()) {
            failures.add(k.name() + " not run: " + k.missing());
            return;
        }
        try {
            runs.add(new Sustained(load, work, s.sustainedWarmup()).run(k, w));
        } catch (Exception | AssertionError e) {
            if (e instanceof InterruptedException) {
                throw (InterruptedException) e;
            }
            failures.add(k.name() + " at " + w.describe() + " failed: " + e);
            System.err.println("bench: " + failures.get(failures.size() - 1));
        }
    }

    private void sideBySide(String title, List<String> names, SideBySide.Shape shape) throws Exception {
        List<TracerKind> kinds = names.stream().map(this::kind).toList();
        List<TracerKind> available = kinds.stream().filter(TracerKind::available).toList();
        kinds.stream().filter(k -> !k.available())
                .forEach(k -> System.err.println("bench: " + k.name() + " not run: " + k.missing()));
        SideBySide side = new SideBySide(load, work);
        List<SideBySide.Run> runs = side.run(available, shape, s.rounds());
        report.sideBySide(title, shape, s.rounds(), kinds, runs, side.failures);
    }

    private TracerKind kind(String name) {
        return TracerKind.named(name, jar, jvmOptions);
    }

    String render() {
        return report.render();
    }
}
