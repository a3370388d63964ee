package io.tcptrace.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/connect-burst.c, built with the machine's gcc: connects to one port from one thread,
 * refused or established against its own server, flat out or paced, optionally with one core
 * kept busy by a spinning process.
 */
final class LoadGenerator {
    private static final Pattern RESULT = Pattern.compile("connects=(\\d+) seconds=([\\d.]+) rate=(\\d+) failed=(\\d+)"
            + "(?: target=(\\d+) min_1s=(\\d+) max_behind_ms=([\\d.]+) accepted=(\\d+))?");

    /**
     * What to run: {@code count} connects, paced at {@code rate} per second (0: flat out),
     * {@code established} against the generator's own server on the port (else refused), with a
     * spinning process pinned to CPU {@code busyCore} during the run (-1: none).
     */
    record Workload(long count, long rate, boolean established, int busyCore) {
        static Workload burst(long count) {
            return new Workload(count, 0, false, -1);
        }

        static Workload paced(long rate, int seconds) {
            return new Workload(rate * seconds, rate, false, -1);
        }

        Workload established(boolean on) {
            return new Workload(count, rate, on, busyCore);
        }

        Workload withBusyCore(int core) {
            return new Workload(count, rate, established, core);
        }

        Workload withCount(long n) {
            return new Workload(n, rate, established, busyCore);
        }

        String describe() {
            return String.format("%,d %s connects%s%s", count, established ? "established" : "refused",
                    rate > 0 ? String.format(" at %,d/s", rate) : " flat out", busyCore >= 0 ? ", CPU " + busyCore + " busy" : "");
        }
    }

    /**
     * The generator's own report: achieved rate over the run, the slowest whole second and the
     * worst lag behind the schedule (paced runs), connections its server accepted (established).
     */
    record Result(long connects, double seconds, long rate, long failed, long target, long minSecondRate,
            double maxBehindMs, long accepted) {
    }

    private final Path binary;

    private LoadGenerator(Path binary) {
        this.binary = binary;
    }

    static LoadGenerator build(Path source, Path binary) throws IOException, InterruptedException {
        Process gcc = new ProcessBuilder("gcc", "-O2", "-pthread", "-o", binary.toString(), source.toString())
                .inheritIO().start();
        if (gcc.waitFor() != 0) {
            throw new IllegalStateException("gcc could not build " + source);
        }
        return new LoadGenerator(binary);
    }

    /** Runs to the end; rate 0 means as fast as one thread can. */
    Result run(int port, long count, long rate) throws IOException, InterruptedException {
        return run(port, new Workload(count, rate, false, -1));
    }

    Result run(int port, Workload w) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        if (w.established()) {
            cmd.add("-e");
        }
        if (w.busyCore() >= 0) {
            cmd.addAll(List.of("-b", Integer.toString(w.busyCore())));
        }
        cmd.addAll(List.of("127.0.0.1", Integer.toString(port), Long.toString(w.count())));
        if (w.rate() > 0) {
            cmd.add(Long.toString(w.rate()));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("connect-burst failed: " + out);
        }
        Matcher m = RESULT.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("unexpected connect-burst output: " + out);
        }
        long rate = Long.parseLong(m.group(3));
        boolean full = m.group(5) != null;
        return new Result(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), rate, Long.parseLong(m.group(4)),
                full ? Long.parseLong(m.group(5)) : 0, full ? Long.parseLong(m.group(6)) : rate,
                full ? Double.parseDouble(m.group(7)) : 0, full ? Long.parseLong(m.group(8)) : 0);
    }
}
