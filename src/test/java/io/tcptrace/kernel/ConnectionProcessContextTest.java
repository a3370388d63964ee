package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.ProcessCache;
import io.tcptrace.process.ProcessContext;
import io.tcptrace.process.ProcessInfo;
import io.tcptrace.process.TestCgroup;
import io.tcptrace.process.TestProgram;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The process context on the tracer's own data path: bpf/process.bpf.c compiled into the tracer's
 * program, its records read from the same ring buffer by {@link RecordDecoder}, and every
 * connection event carrying the context of the real process that made it, a short-lived program
 * run by sh in a cgroup created here, which has exited before its events are read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectionProcessContextTest {
    // A generous lookup budget: these tests are about finding the context (BoundedWaitTest covers the budget).
    private static final TestConfig CONNECTS = TestConfig.defaults().with(c -> {
        c.setEvents("connect");
        c.setProcessLookupBudget(2000);
    });

    private TestProgram program;
    private Path mount;

    @BeforeAll
    void start() throws Exception {
        KernelTestSupport.requireKernel();
        mount = CgroupPaths.findMount();
        assertNotNull(mount, "this host has no cgroup2 mount");
        program = new TestProgram();
    }

    @AfterAll
    void stop() throws Exception {
        if (program != null) {
            program.close();
        }
    }

    private record Ran(long shPid, int pid, String arg, int port) {
    }

    /** sh moves itself into {@code cgroup}, forks the program, which connects {@code n} times and exits. */
    private Ran connectFrom(TestCgroup cgroup, int n) throws Exception {
        int port = refusedPort();
        String arg = "arg-" + UUID.randomUUID();
        // "; true" keeps sh from exec'ing the program in its own process: it must fork it
        TestProgram.Run run = TestProgram.sh((cgroup == null ? "" : cgroup.enterCommand() + " && ") + program.binary
                + " --connect " + port + " " + n + " " + arg + "; true");
        run.process().waitFor();
        assertEquals(0, run.process().exitValue());
        return new Ran(run.process().pid(), run.pid(), arg, port);
    }

    private static List<ConnectionEvent> events(TracerHarness h, Ran ran, int n) {
        List<ConnectionEvent> events = h.awaitCount(n, e -> e.destPort() == ran.port());
        assertEquals(n, events.size(), "connect events of the program");
        return events;
    }

    private static String hex64() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Test
    void shortLivedProgramInADockerCgroupCarriesItsContext() throws Exception {
        String id = hex64();
        try (TracerHarness h = new TracerHarness(CONNECTS);
                TestCgroup cgroup = new TestCgroup(mount, "/system.slice/docker-" + id + ".scope")) {
            Ran ran = connectFrom(cgroup, 3);
            for (ConnectionEvent e : events(h, ran, 3)) {
                assertEquals(ran.pid(), e.processId());
                assertEquals(cgroup.id(), e.cgroupId());
                ProcessContext.Fields f = e.context();
                assertNotNull(f, "context on");
                assertEquals(program.binary.toString(), f.processPath());
                assertEquals(program.binary + " --connect " + ran.port() + " 3 " + ran.arg(), f.process());
                assertEquals(ran.shPid(), f.parentProcessId());
                assertEquals("sh", f.parentProcessName());
                assertEquals("root", f.user());
                assertEquals("/system.slice/docker-" + id + ".scope", f.cgroup());
                assertEquals(id, f.containerId());
                assertNull(f.service(), "a container's scope is not a service");
                assertNull(f.podUid());
            }
            assertTrue(h.tracer.processContext().processes().hasExited(ran.pid()), "exited before it was read");
            assertEquals(0, h.tracer.counters().malformed(), "every process record decoded");
        }
    }

    @Test
    void programInAServiceCgroupNamesTheService() throws Exception {
        String unit = "tcptrace-test-" + ThreadLocalRandom.current().nextInt(1_000_000) + ".service";
        try (TracerHarness h = new TracerHarness(CONNECTS);
                TestCgroup cgroup = new TestCgroup(mount, "/system.slice/" + unit)) {
            Ran ran = connectFrom(cgroup, 1);
            ProcessContext.Fields f = events(h, ran, 1).get(0).context();
            assertEquals(program.binary.toString(), f.processPath());
            assertEquals(ran.shPid(), f.parentProcessId());
            assertEquals("/system.slice/" + unit, f.cgroup());
            assertEquals(unit, f.service());
            assertNull(f.containerId());
        }
    }

    @Test
    void processStartedBeforeTheTracerGetsItsContextFromProc() throws Exception {
        int port = refusedPort();
        String arg = "before-" + UUID.randomUUID();
        TestProgram.Run run = program.startWaiting("--connect", Integer.toString(port), "2", arg);
        try (TracerHarness h = new TracerHarness(CONNECTS)) {
            run.process().getOutputStream().close();   // now it connects and exits
            run.process().waitFor();
            List<ConnectionEvent> events = h.awaitCount(2, e -> e.destPort() == port);
            assertEquals(2, events.size());
            for (ConnectionEvent e : events) {
                ProcessContext.Fields f = e.context();
                assertEquals(program.binary.toString(), f.processPath());
                assertEquals(program.binary + " --wait --connect " + port + " 2 " + arg, f.process());
                assertEquals(ProcessHandle.current().pid(), f.parentProcessId());
            }
            ProcessInfo known = h.tracer.processContext().processes().get(run.pid());
            assertEquals(ProcessInfo.Source.PROC, known.source(), "learnt from /proc at start, not from an exec");
        } finally {
            run.process().destroy();
        }
    }

    @Test
    void cmdlineOffLeavesTheCommandLineOut() throws Exception {
        try (TracerHarness h = new TracerHarness(CONNECTS.with(c -> c.setCmdline(false)))) {
            Ran ran = connectFrom(null, 2);
            for (ConnectionEvent e : events(h, ran, 2)) {
                assertEquals(program.binary.toString(), e.context().processPath());
                assertEquals(ran.shPid(), e.context().parentProcessId());
                assertNull(e.context().process(), "tcptrace.cmdline=false");
            }
        }
    }

    @Test
    void processContextOffAddsNoProbesAndNoContext() throws Exception {
        // destination names off too: their filter would be the second attachment
        try (TracerHarness h = new TracerHarness(CONNECTS.with(c -> {
            c.setProcessContext(false);
            c.setDestHost("false");
        }))) {
            assertEquals(1, h.tracer.attachments().size(), h.tracer.attachments().toString());
            assertNull(h.tracer.processContext());
            Ran ran = connectFrom(null, 1);
            assertNull(events(h, ran, 1).get(0).context());
        }
    }

    @Test
    void processProbesAreAttachedAfterTheConnectionProbes() {
        try (TracerHarness h = new TracerHarness(CONNECTS)) {
            List<String> attached = h.tracer.attachments().stream().map(a -> a.description()).toList();
            // with BTF the connect's outcome comes from sk_err: no tcp_receive_reset probe
            String connection = io.tcptrace.kernel.btf.KernelOffsets.fromRunningKernel().rawTracepointReadable()
                    ? "raw tracepoint inet_sock_set_state" : "tracepoint sock:inet_sock_set_state";
            assertEquals(List.of(connection), attached.subList(0, 1), attached.toString());
            assertFalse(attached.contains("tracepoint tcp:tcp_receive_reset"), attached.toString());
            assertTrue(attached.containsAll(List.of("tracepoint task:task_newtask",
                    "tracepoint sched:sched_process_exec", "tracepoint sched:sched_process_exit",
                    "tracepoint syscalls:sys_enter_execve")), attached.toString());
            h.tracer.detach();
            assertFalse(h.tracer.attached());
            h.tracer.attach();
            assertEquals(attached, h.tracer.attachments().stream().map(a -> a.description()).toList());
        }
    }

    @Test
    void cacheOverflowIsCountedAndEveryEventIsStillDelivered() throws Exception {
        // 32 entries: far too few for the 40 programs (and their sh) run here, and whatever else
        // the shared machine starts meanwhile
        try (TracerHarness h = new TracerHarness(CONNECTS.with(c -> c.setProcessCacheMax(32)))) {
            int port = refusedPort();
            List<Integer> pids = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                TestProgram.Run r = TestProgram.sh(program.binary + " --connect " + port + " 1 n" + i + "; true");
                r.process().waitFor();
                pids.add(r.pid());
            }
            List<ConnectionEvent> events = h.awaitCount(40, e -> e.destPort() == port);
            assertEquals(pids, events.stream().map(e -> (int) e.processId()).toList(), "every event, in order");
            ProcessCache.Stats s = h.tracer.processContext().stats().processes();
            assertTrue(s.size() <= 32, "bounded: " + s);
            assertTrue(s.evictions() >= 40, "evictions counted: " + s);
            // records and events interleave in the ring: each event was decoded right after its exec
            for (ConnectionEvent e : events) {
                assertEquals(program.binary.toString(), e.context().processPath());
            }
        }
    }
}
