package io.tcptrace.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's figures as Markdown: raw runs, then min / median / max against the targets. */
final class Report {
    private final StringBuilder raw = new StringBuilder();
    private final List<Double> startup = new ArrayList<>();
    private final List<Double> rss = new ArrayList<>();
    private final List<Double> rssDefault = new ArrayList<>();
    private final List<Double> burstRate = new ArrayList<>();
    private final List<Double> ratios = new ArrayList<>();
    private final List<Long> missing = new ArrayList<>();
    private final List<Double> hecRate = new ArrayList<>();
    private String machine = "";
    private String latency = "";
    private double p99 = Double.NaN;
    private String baseline = "";
    private double baselineRate;
    private int burst;

    void machine(Benchmark.Settings s) throws IOException {
        burst = s.burst();
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        machine = "- machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + "), kernel "
                + System.getProperty("os.version") + ", " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version") + "\n- tracer JVM options: "
                + (s.jvmOptions().isEmpty() ? "(none)" : String.join(" ", s.jvmOptions())) + "\n- tracer started as: "
                + (s.prefix().isEmpty() ? "java" : String.join(" ", s.prefix()) + " java") + "\n";
    }

    void completeness(int run, LoadGenerator.Result b, long file, long hec, long kafka, long lost, double ready,
            double rssMb, double drain) {
        raw.append(String.format("| completeness %d | burst %d at %d/s | file %d, HEC %d, Kafka %d | kernel lost %d |"
                + " ready %.2f s | peak RSS %.0f MB | drained %.1f s after the burst |%n", run, b.connects(), b.rate(),
                file, hec, kafka, lost, ready, rssMb, drain));
        startup.add(ready);
        rss.add(rssMb);
        burstRate.add((double) b.rate());
        missing.add((b.connects() - file) + (b.connects() - hec) + (b.connects() - kafka) + lost);
        hecRate.add(b.connects() / (b.seconds() + drain));
    }

    void overhead(int pair, LoadGenerator.Result untraced, LoadGenerator.Result traced, long written, double rssMb) {
        double ratio = (double) traced.rate() / untraced.rate();
        ratios.add(ratio);
        rssDefault.add(rssMb);
        raw.append(String.format("| overhead %d | untraced %d/s | traced %d/s | ratio %.3f | file %d of %d |"
                + " peak RSS %.0f MB |%n", pair, untraced.rate(), traced.rate(), ratio, written, traced.connects(), rssMb));
    }

    void latency(LoadGenerator.Result paced, long indexed, List<Double> millis) {
        p99 = Stats.percentile(millis, 99);
        latency = String.format("%d connects at %d/s; %d indexed; p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                paced.connects(), paced.rate(), indexed, Stats.percentile(millis, 50), p99,
                Stats.percentile(millis, 100));
        raw.append("| latency | ").append(latency).append(" |\n");
    }

    void baseline(LoadGenerator.Result b, long hec, BaselineProcess.Summary sum, double seconds, double ready) {
        double rate = seconds > 0 ? hec / seconds : 0;
        baseline = String.format("burst %d at %d/s: read %d, lost in the perf buffer %d, reached HEC %d (%.1f%%) at"
                + " %.0f events/s; ready %.1f s", b.connects(), b.rate(), sum.read(), sum.lost(), hec,
                100.0 * hec / b.connects(), rate, ready);
        raw.append("| baseline | ").append(baseline).append(" |\n");
        baselineRate = rate;
    }

    /** The title and the machine. */
    String header() {
        return "# tcptrace benchmark\n\n" + machine + '\n';
    }

    /** Completeness, overhead, latency and baseline figures against their targets. */
    String render() {
        StringBuilder out = new StringBuilder("## Completeness, overhead, latency, baseline\n\n");
        out.append("| figure | min / median / max | target |\n|---|---|---|\n");
        out.append(String.format("| events missing from file+HEC+Kafka, plus kernel lost (burst %d) | %s | 0 |%n",
                burst, Stats.range(missing.stream().map(Long::doubleValue).toList(), "%.0f")));
        out.append(String.format("| traced / untraced connect rate (file sink) | %s | >= 0.85 |%n",
                Stats.range(ratios, "%.3f")));
        out.append(String.format("| seconds from start to ready | %s | <= 3 |%n", Stats.range(startup, "%.2f")));
        out.append(String.format("| peak RSS during a full-speed burst, file sink (default settings), MB | %s | <= 300 |%n",
                Stats.range(rssDefault, "%.0f")));
        out.append(String.format("| peak RSS during the burst, file + HEC + Kafka sinks, MB | %s | |%n",
                Stats.range(rss, "%.0f")));
        out.append(String.format("| HEC p99 latency at the paced rate, ms | %.0f | <= 1000 |%n", p99));
        out.append(String.format("| load generator rate during the burst, connects/s | %s | |%n",
                Stats.range(burstRate, "%.0f")));
        out.append(String.format("| events/s into HEC (burst and drain) | %s | |%n", Stats.range(hecRate, "%.0f")));
        if (baselineRate > 0 && !hecRate.isEmpty()) {
            out.append(String.format("| baseline (Python BCC, one POST per event) events/s into HEC | %.0f | |%n",
                    baselineRate));
            out.append(String.format("| tcptrace / baseline HEC throughput | %.0fx | |%n",
                    Stats.median(hecRate) / baselineRate));
        }
        out.append("\n### runs\n\n| run | | | | | | |\n|---|---|---|---|---|---|---|\n").append(raw);
        return out.toString();
    }
}
