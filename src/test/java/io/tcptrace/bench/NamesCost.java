package io.tcptrace.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.bench.LoadGenerator.Workload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * What destination names cost: the packaged tracer with dest_host on and off, under 10,000
 * refused connects a second, 10,000 DNS lookups a second (UDP, answered by dnsmasq on loopback),
 * and both at once. Per phase: the tracer's CPU (its whole process, from before the phase until it
 * has processed it) and the answer filter's own time in the kernel (the BPF program's run time
 * and runs, kernel.bpf_stats_enabled), which is spent in the receiving tasks, not the tracer's.
 */
final class NamesCost {
    private static final String RESOLVER = "127.0.0.77";
    private static final int RATE = 10_000;
    private static final int SECONDS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoadGenerator load;
    private final Path work;
    private final Path jar;
    private final List<String> jvmOptions;

    NamesCost(LoadGenerator load, Path work, Path jar, List<String> jvmOptions) {
        this.load = load;
        this.work = work;
        this.jar = jar;
        this.jvmOptions = jvmOptions;
    }

    /** One phase under one tracer; CPU in µs, filter time in ns. */
    record Phase(String tracer, String load, long connects, long lookups, long cpuMicros, long filterRuns,
            long filterNanos) {
        /** One row for the rounds of one tracer and load: CPU min / median / max, the rest summed. */
        static String summary(List<Phase> rounds) {
            double[] cpu = rounds.stream().mapToDouble(p -> p.cpuMicros() / 1000.0).sorted().toArray();
            double median = cpu.length % 2 == 1 ? cpu[cpu.length / 2] : (cpu[cpu.length / 2 - 1] + cpu[cpu.length / 2]) / 2;
            Phase first = rounds.get(0);
            long events = first.connects() + first.lookups();
            long runs = rounds.stream().mapToLong(Phase::filterRuns).sum();
            long nanos = rounds.stream().mapToLong(Phase::filterNanos).sum();
            return String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %.0f / %.0f / %.0f | %.2f | %s | %s |", first.tracer(),
                    first.load(), first.connects(), first.lookups(), cpu[0], median, cpu[cpu.length - 1],
                    median * 1000 / Math.max(1, events), runs == 0 ? "-" : String.format(Locale.ROOT, "%,d per round",
                            runs / rounds.size()),
                    runs == 0 ? "-" : String.format(Locale.ROOT, "%.0f ns (%.1f ms per round)", nanos / (double) runs,
                            nanos / 1e6 / rounds.size()));
        }
    }

    String run() throws Exception {
        int rounds = Integer.getInteger("bench.names-rounds", 3);
        List<Phase> phases = new ArrayList<>();
        Process dnsmasq = startDnsmasq();
        String statsBefore = sysctl("kernel.bpf_stats_enabled", "1");
        try {
            // off and on in turn, so that the machine's drift falls on both alike
            for (int round = 0; round < rounds; round++) {
                for (boolean names : new boolean[] {false, true}) {
                    phases.addAll(tracer(names));
                }
            }
        } finally {
            sysctl("kernel.bpf_stats_enabled", statsBefore);
            dnsmasq.destroy();
            dnsmasq.waitFor(10, TimeUnit.SECONDS);
        }
        StringBuilder out = new StringBuilder("### Destination names: their cost\n\n"
                + "tcptrace-nice0 (file sink) with `tcptrace.dest-host` off and on, " + rounds + " rounds each, in turn;"
                + " " + RATE + "/s for " + SECONDS + " s per phase: refused connects to 127.0.0.1, DNS lookups (A, UDP)"
                + " answered by dnsmasq on " + RESOLVER + " with 127.0.0.1, both at once. Tracer CPU: min / median / max"
                + " over the rounds. The filter runs once per packet delivered to any local socket, in the receiving"
                + " task (not the tracer).\n\n"
                + "| tracer | load | connects | lookups | tracer CPU ms | µs per connect + lookup | filter runs | filter per run"
                + " (total) |\n|---|---|---|---|---|---|---|---|\n");
        for (String tracer : List.of("tcptrace-nice0+nonames", "tcptrace-nice0")) {
            for (String load : List.of("connects", "lookups", "both")) {
                List<Phase> same = phases.stream().filter(p -> p.tracer().equals(tracer) && p.load().equals(load)).toList();
                out.append(Phase.summary(same)).append('\n');
            }
        }
        out.append("\nExtra tracer CPU with names on (medians, on − off): ");
        for (String load : List.of("connects", "lookups", "both")) {
            double off = median(phases, "tcptrace-nice0+nonames", load);
            double on = median(phases, "tcptrace-nice0", load);
            Phase any = phases.stream().filter(p -> p.load().equals(load)).findFirst().orElseThrow();
            out.append(String.format(Locale.ROOT, "%s %+.2f µs per %s; ", load, (on - off) / Math.max(1,
                    load.equals("lookups") ? any.lookups() : any.connects()), load.equals("lookups") ? "lookup"
                    : load.equals("both") ? "connect and lookup" : "connect"));
        }
        out.setLength(out.length() - 2);
        return out.append(".\n").toString();
    }

    private static double median(List<Phase> phases, String tracer, String load) {
        double[] cpu = phases.stream().filter(p -> p.tracer().equals(tracer) && p.load().equals(load))
                .mapToDouble(Phase::cpuMicros).sorted().toArray();
        return cpu.length % 2 == 1 ? cpu[cpu.length / 2] : (cpu[cpu.length / 2 - 1] + cpu[cpu.length / 2]) / 2;
    }

    private List<Phase> tracer(boolean names) throws Exception {
        String name = "tcptrace-nice0" + (names ? "" : "+nonames");
        List<Phase> phases = new ArrayList<>();
        try (TcptraceUnderTest t = TcptraceUnderTest.start(name, 0, false, jar, jvmOptions, work.resolve(name),
                Map.of("TCPTRACE_DEST_HOST", names ? "true" : "false"))) {
            Settle.await(t.pid(), 60);
            // warm-up, twice: the JIT compiles the connect and answer paths before anything is measured
            // (with one, the first measured phase still cost up to a quarter more)
            phase(t, name, true, true, RATE, SECONDS);
            phase(t, name, true, true, RATE, SECONDS);
            phases.add(phase(t, name, true, false, RATE, SECONDS));
            phases.add(phase(t, name, false, true, RATE, SECONDS));
            phases.add(phase(t, name, true, true, RATE, SECONDS));
            t.stop();
        }
        return phases;
    }

    private Phase phase(TcptraceUnderTest t, String name, boolean connects, boolean lookups, int rate, int seconds)
            throws Exception {
        long[] filterBefore = filterStats();
        long cpuBefore = Settle.await(t.pid(), 30).cpuMicros();
        CompletableFuture<Long> answered = lookups ? CompletableFuture.supplyAsync(() -> lookups(rate, seconds))
                : CompletableFuture.completedFuture(0L);
        long connected = connects ? load.run(Ports.free(), Workload.paced(rate, seconds)).connects() : 0;
        long looked = answered.get(seconds * 3L, TimeUnit.SECONDS);
        long cpu = Settle.await(t.pid(), 60).cpuMicros() - cpuBefore;
        long[] filterAfter = filterStats();
        String what = connects && lookups ? "both" : connects ? "connects" : "lookups";
        System.out.println("bench: names " + name + " " + what + " done");
        return new Phase(name, what, connected, looked, cpu, filterAfter[0] - filterBefore[0],
                filterAfter[1] - filterBefore[1]);
    }

    /** Lookups of 1,000 names in turn at {@code rate} a second, each waiting for its answer; the answers received. */
    private static long lookups(int rate, int seconds) {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(new InetSocketAddress(RESOLVER, 53));
            List<byte[]> queries = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                queries.add(Message.newQuery(Record.newRecord(Name.fromString("host" + i + ".bench.test."), Type.A,
                        DClass.IN)).toWire());
            }
            ByteBuffer answer = ByteBuffer.allocate(1500);
            long total = (long) rate * seconds;
            long start = System.nanoTime();
            long received = 0;
            for (long i = 0; i < total; i++) {
                long due = start + i * 1_000_000_000L / rate;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                ch.write(ByteBuffer.wrap(queries.get((int) (i % queries.size()))));
                answer.clear();
                if (ch.read(answer) > 0) {
                    received++;
                }
            }
            return received;
        } catch (Exception e) {
            throw new IllegalStateException("the DNS lookups failed: " + e, e);
        }
    }

    private Process startDnsmasq() throws Exception {
        Path log = work.resolve("dnsmasq.log");
        Process p = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--log-facility=-", "--no-resolv",
                "--no-hosts", "--listen-address=" + RESOLVER, "--bind-interfaces", "--pid-file=",
                "--address=/bench.test/127.0.0.1").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(log) || !Files.readString(log).contains("started")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("dnsmasq did not start (install dnsmasq-base): "
                        + (Files.exists(log) ? Files.readString(log) : ""));
            }
            Thread.sleep(50);
        }
        return p;
    }

    /** {run_cnt, run_time_ns} of the loaded dns_answers programs (0, 0 when none). */
    private static long[] filterStats() throws Exception {
        Process p = new ProcessBuilder("bpftool", "--json", "prog", "show").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            return new long[] {0, 0};
        }
        long runs = 0;
        long nanos = 0;
        for (JsonNode prog : JSON.readTree(out)) {
            if (prog.path("name").asText().equals("dns_answers")) {
                runs += prog.path("run_cnt").asLong();
                nanos += prog.path("run_time_ns").asLong();
            }
        }
        return new long[] {runs, nanos};
    }

    /** Sets a sysctl; returns its value before. */
    private static String sysctl(String key, String value) throws Exception {
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        String before = Files.readString(file).strip();
        Files.writeString(file, value);
        return before;
    }
}
