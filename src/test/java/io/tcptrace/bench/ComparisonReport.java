package io.tcptrace.bench;

import io.tcptrace.bench.SideBySide.Phase;
import io.tcptrace.bench.SideBySide.Run;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** tcptrace beside its peers, as Markdown that drops into BENCHMARKS.md: tables, ratios, raw rows. */
final class ComparisonReport {
    private final StringBuilder out = new StringBuilder();

    void sideBySide(String title, SideBySide.Shape shape, int rounds, List<TracerKind> kinds, List<Run> runs,
            List<String> failures) {
        out.append("## ").append(title).append("\n\n");
        out.append(String.format("- load: %s connects to 127.0.0.1 from one C thread, flat out (bench/connect-burst.c%s);"
                + " %d round(s), tracers one after the other%n", shape.established() ? "established" : "refused",
                shape.established() ? " -e: its own server accepts, reads to EOF and closes; the client closes first" : "",
                rounds));
        out.append(String.format("- cold: the first %,d connects after the tracer's start; warm: %,d connects after a"
                + " further warm-up of %,d%n", shape.cold(), shape.warm(), shape.warmup()));
        out.append("- CPU: utime + stime of the tracer process, all threads (/proc/PID/stat), from before the burst until"
                + " the tracer has gone quiet (< 2% of a core for 1 s), divided by the burst's connects: CPU per traced"
                + " connect, whatever number of records the tool writes for it; the records column says how many\n");
        out.append("- rate: the load generator's connects/s under the tracer ÷ its rate in an untraced burst of the same"
                + " size just before; peak RSS: VmRSS sampled every 50 ms while the tracer runs; VmHWM: its peak since"
                + " start (for tcptrace that includes the BPF compile)\n");
        for (TracerKind k : kinds) {
            out.append("- ").append(k.name()).append(": ").append(k.available() ? k.records() : "not run: " + k.missing())
                    .append('\n');
        }
        out.append("\n| tracer | CPU µs per connect, cold | CPU µs per connect, warm | records per connect, warm |"
                + " CPU µs per record, warm | traced / untraced rate, cold | warm | untraced connects/s |"
                + " peak RSS, MB | VmHWM, MB | lost (its own count) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<Run>> byTracer = byTracer(runs);
        for (var e : byTracer.entrySet()) {
            List<Run> rs = e.getValue();
            out.append("| ").append(e.getKey()).append(" | ")
                    .append(cell(rs, r -> r.cold().cpuPerConnect(), "%.2f")).append(" | ")
                    .append(cell(rs, r -> r.warm().cpuPerConnect(), "%.2f")).append(" | ")
                    .append(cell(rs, r -> r.warm().recordsPerConnect(), "%.3f")).append(" | ")
                    .append(cell(rs, r -> r.warm().cpuPerRecord(), "%.2f")).append(" | ")
                    .append(cell(rs, r -> r.cold().rateRatio(), "%.3f")).append(" | ")
                    .append(cell(rs, r -> r.warm().rateRatio(), "%.3f")).append(" | ")
                    .append(cell(rs, r -> r.warm().untracedRate(), "%.0f")).append(" | ")
                    .append(cell(rs, Run::peakRssMb, "%.0f")).append(" | ")
                    .append(cell(rs, Run::hwmMb, "%.0f")).append(" | ")
                    .append(cell(rs, Run::lost, "%.0f")).append(" |\n");
        }
        failures.forEach(f -> out.append("\n- ").append(f).append('\n'));
        threads(byTracer);
        ratios(byTracer);
        if (!shape.established()) {
            targets(byTracer);
        }
        out.append("\nRuns:\n\n```\n");
        runs.forEach(r -> out.append(line(r)).append('\n'));
        out.append("```\n\n");
    }

    /** Issue 10's targets for a burst, per tcptrace variant (the rate target is for nice 10). */
    private void targets(Map<String, List<Run>> byTracer) {
        List<Run> tcpstates = byTracer.get("tcpstates");
        out.append("\n| target (issue 10) | tracer | measured | met |\n|---|---|---|---|\n");
        for (var e : byTracer.entrySet()) {
            if (!e.getKey().startsWith("tcptrace")) {
                continue;
            }
            List<Run> rs = e.getValue();
            if (tcpstates != null && !e.getKey().endsWith(TracerKind.SPLUNK)) { // the issue sets it for the file sink
                double ratio = median(rs, r -> r.warm().cpuPerConnect()) / median(tcpstates, r -> r.warm().cpuPerConnect());
                out.append(String.format("| CPU per connect, warm, ≤ 0.6 × tcpstates' | %s | %.2f × | %s |%n", e.getKey(),
                        ratio, ratio <= 0.6 ? "yes" : "no"));
            }
            if (e.getKey().endsWith(TracerKind.SPLUNK)) {
                double cpu = median(rs, r -> r.warm().cpuPerConnect());
                out.append(String.format("| CPU per connect, warm, ≤ 8 µs with file and Splunk sinks | %s | %.2f µs | %s |%n",
                        e.getKey(), cpu, cpu <= 8 ? "yes" : "no"));
            }
            double rate = median(rs, r -> r.warm().rateRatio());
            out.append(String.format("| traced / untraced rate ≥ 0.9 (at nice 10; nice 0 reported) | %s | %.3f | %s |%n",
                    e.getKey(), rate, rate >= 0.9 ? "yes" : "no"));
            long missing = rs.stream().mapToLong(r -> r.cold().connects() - r.cold().records() + r.warm().connects()
                    - r.warm().records() + r.lost()).sum();
            out.append(String.format("| every connect recorded, 0 lost in the kernel (cold and warm) | %s | %,d missing or"
                    + " lost | %s |%n", e.getKey(), missing, missing == 0 ? "yes" : "no"));
        }
    }

    /** Where the CPU went: JIT compiler threads, and the busiest other thread (tcptrace: the poll thread). */
    private void threads(Map<String, List<Run>> byTracer) {
        out.append("\n| tracer | JIT compiler threads, share of CPU, cold | warm | busiest other thread |"
                + " its CPU µs per connect, cold | warm |\n|---|---|---|---|---|---|\n");
        for (var e : byTracer.entrySet()) {
            List<Run> rs = e.getValue();
            out.append("| ").append(e.getKey()).append(" | ")
                    .append(cell(rs, r -> 100.0 * r.cold().threads().jitMicros() / r.cold().cpuMicros(), "%.0f%%")).append(" | ")
                    .append(cell(rs, r -> 100.0 * r.warm().threads().jitMicros() / r.warm().cpuMicros(), "%.0f%%")).append(" | ")
                    .append(rs.get(0).warm().threads().busiest()).append(" | ")
                    .append(cell(rs, r -> r.cold().threads().busiestMicros() / (double) r.cold().connects(), "%.2f")).append(" | ")
                    .append(cell(rs, r -> r.warm().threads().busiestMicros() / (double) r.warm().connects(), "%.2f"))
                    .append(" |\n");
        }
    }

    /** Each tcptrace variant's median CPU per connect ÷ each peer's, cold and warm: below 1, tcptrace spends less. */
    private void ratios(Map<String, List<Run>> byTracer) {
        List<String> ours = byTracer.keySet().stream().filter(n -> n.startsWith("tcptrace")).toList();
        List<String> peers = byTracer.keySet().stream().filter(n -> !n.startsWith("tcptrace")).toList();
        if (ours.isEmpty() || peers.isEmpty()) {
            return;
        }
        out.append("\n| CPU per connect, median ÷ median | cold | warm | peak RSS |\n|---|---|---|---|\n");
        for (String o : ours) {
            for (String p : peers) {
                out.append(String.format("| %s ÷ %s | %.2f | %.2f | %.1f |%n", o, p,
                        median(byTracer.get(o), r -> r.cold().cpuPerConnect()) / median(byTracer.get(p), r -> r.cold().cpuPerConnect()),
                        median(byTracer.get(o), r -> r.warm().cpuPerConnect()) / median(byTracer.get(p), r -> r.warm().cpuPerConnect()),
                        median(byTracer.get(o), Run::peakRssMb) / median(byTracer.get(p), Run::peakRssMb)));
            }
        }
    }

    void sustained(String title, String what, List<Sustained.Run> runs, List<String> failures) {
        out.append("## ").append(title).append("\n\n").append(what).append("\n\n");
        out.append("| tracer | load | achieved connects/s (slowest second) | most behind schedule, ms | records |"
                + " missing | lost (its own count) | CPU µs per connect | CPU ÷ load time | peak RSS, MB |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Sustained.Run r : runs) {
            out.append(String.format("| %s | %s | %,d (%,d) | %.1f | %,d | %s | %,d | %.2f | %.0f%% | %.0f |%n", r.tracer(),
                    r.workload().describe(), r.load().rate(), r.load().minSecondRate(), r.load().maxBehindMs(), r.records(),
                    r.workload().established() ? "n/a (established: several records per connect)"
                            : String.format("%,d (%.2f%%)", r.load().connects() - r.records(), 100 * r.missingShare()),
                    r.lost(), r.cpuMicros() / (double) r.load().connects(), 100 * r.cpuShare(), r.peakRssMb()));
        }
        failures.forEach(f -> out.append("\n- ").append(f).append('\n'));
        out.append('\n');
    }

    /** tcptrace's loss beside each peer's in the same conditions (same rate, same busy core). */
    void lossRatios(List<Sustained.Run> runs) {
        List<String> lines = new ArrayList<>();
        for (Sustained.Run o : runs) {
            if (!o.tracer().startsWith("tcptrace") || o.workload().established()) {
                continue;
            }
            for (Sustained.Run p : runs) {
                if (!p.tracer().startsWith("tcptrace") && p.workload().equals(o.workload())) {
                    lines.add(String.format("| %s | %s %.2f%% | %s %.2f%% | %s |", o.workload().describe(), o.tracer(),
                            100 * o.missingShare(), p.tracer(), 100 * p.missingShare(),
                            o.missingShare() <= p.missingShare() ? "yes" : "no"));
                }
            }
        }
        if (!lines.isEmpty()) {
            out.append("| load | tcptrace missing | peer missing | tcptrace's loss at most the peer's |\n|---|---|---|---|\n");
            lines.forEach(l -> out.append(l).append('\n'));
            out.append('\n');
        }
    }

    String render() {
        return out.toString();
    }

    static String line(Run r) {
        return String.format("| %s | cold: %s | warm: %s | lost %,d | peak RSS %.0f MB, VmHWM %.0f MB |", r.tracer(),
                phase(r.cold()), phase(r.warm()), r.lost(), r.peakRssMb(), r.hwmMb());
    }

    private static String phase(Phase p) {
        return String.format("%,d at %,d/s (untraced %,d/s)%s, CPU %.2f s, records %,d, busy %.1f s after the load",
                p.connects(), p.tracedRate(), p.untracedRate(), p.failed() > 0 ? ", " + p.failed() + " failed" : "",
                p.cpuMicros() / 1e6, p.records(), p.busySeconds());
    }

    static String line(Sustained.Run r) {
        return String.format("| %s | %s | achieved %,d/s in %.1f s, slowest second %,d/s, failed %,d | records %,d,"
                + " lost %,d | CPU %.2f s, busy %.1f s after the load | peak RSS %.0f MB |", r.tracer(), r.workload().describe(),
                r.load().rate(), r.load().seconds(), r.load().minSecondRate(), r.load().failed(), r.records(), r.lost(),
                r.cpuMicros() / 1e6, r.busySeconds(), r.peakRssMb());
    }

    private static Map<String, List<Run>> byTracer(List<Run> runs) {
        Map<String, List<Run>> m = new LinkedHashMap<>();
        runs.forEach(r -> m.computeIfAbsent(r.tracer(), k -> new ArrayList<>()).add(r));
        return m;
    }

    private static <T> String cell(List<T> runs, ToDoubleFunction<T> f, String format) {
        List<Double> v = runs.stream().map(r -> f.applyAsDouble(r)).toList();
        return v.size() == 1 ? String.format(format, v.get(0)) : Stats.range(v, format);
    }

    private static <T> double median(List<T> runs, ToDoubleFunction<T> f) {
        return Stats.median(runs.stream().map(r -> f.applyAsDouble(r)).toList());
    }
}
