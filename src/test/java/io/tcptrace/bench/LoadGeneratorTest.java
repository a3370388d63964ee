package io.tcptrace.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.bench.LoadGenerator.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's load generator does what its report says: real sockets, real processes, no tracer. */
class LoadGeneratorTest {
    @TempDir
    static Path tmp;
    static LoadGenerator load;

    @BeforeAll
    static void build() throws Exception {
        load = LoadGenerator.build(Path.of("bench/connect-burst.c"), tmp.resolve("connect-burst"));
    }

    @Test
    void establishedConnectionsAreAcceptedByItsOwnServer() throws Exception {
        LoadGenerator.Result r = load.run(Ports.free(), Workload.burst(300).established(true));
        assertEquals(300, r.connects());
        assertEquals(0, r.failed());
        assertEquals(300, r.accepted());
    }

    @Test
    void pacedRunsAtTheAskedRateAndReportsIt() throws Exception {
        LoadGenerator.Result r = load.run(Ports.free(), Workload.paced(1_000, 1));
        assertEquals(1_000, r.connects());
        assertEquals(1_000, r.target());
        assertTrue(r.seconds() >= 0.99 && r.seconds() < 1.5, "took " + r.seconds() + " s");
        assertTrue(r.rate() > 650 && r.rate() <= 1_010, "rate " + r.rate());
    }

    @Test
    void busyCoreSpinsOnThatCoreDuringTheRun() throws Exception {
        Path binary = tmp.resolve("connect-burst");
        Process p = new ProcessBuilder(binary.toString(), "-b", "0", "-d", "3", "127.0.0.1",
                Integer.toString(Ports.free()), "0", "500").start();
        try {
            Thread.sleep(1_000);
            Optional<ProcessHandle> spinner = p.toHandle().children().findFirst();
            assertTrue(spinner.isPresent(), "no spinning child");
            long pid = spinner.get().pid();
            long before = ProcStat.cpuMicros(pid);
            Thread.sleep(1_000);
            long used = ProcStat.cpuMicros(pid) - before;
            // It never sleeps; on a core shared with other busy work it still gets a fair part of it.
            assertTrue(used >= 50_000, "spinner used " + used + " µs in 1 s");
            List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            assertTrue(status.stream().anyMatch(l -> l.matches("Cpus_allowed_list:\\s+0")), String.join("\n", status));
            assertEquals(0, p.waitFor());
            assertTrue(spinner.get().onExit().toCompletableFuture().isDone() || !spinner.get().isAlive());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void portsComeFromBelowTheEphemeralRange() throws Exception {
        int first = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0)
                .trim().split("\\s+")[0]);
        for (int i = 0; i < 20; i++) {
            int port = Ports.free();
            assertTrue(port >= 10_000 && port < first, "port " + port);
        }
    }
}
