package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Real kernel, real processes, real cgroups: a copy of a small program at a unique path, run by
 * sh with a unique argument inside a cgroup created here, exits at once; its exec, fork and exit
 * records reach the cache, and the context names its executable, command line, parent, user,
 * cgroup, service or container.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessContextKernelTest {
    private TestProgram program;
    private ProcessKernel kernel;
    private ProcessContext context;
    private Path mount;

    @BeforeAll
    void start() throws Exception {
        KernelTestSupport.requireKernel();
        mount = CgroupPaths.findMount();
        assertNotNull(mount, "this host has no cgroup2 mount");
        program = new TestProgram();
        // A generous budget: this asserts what is found, not how fast on a machine shared by many
        // builds (BoundedWaitTest covers the budget itself).
        context = ProcessContext.start(ProcessSettings.defaults().withBudgetMillis(200), null);
        kernel = new ProcessKernel(ProcessSettings.defaults(), 1024);
        kernel.decoders.add(context.records());
    }

    @AfterAll
    void stop() throws Exception {
        if (kernel != null) {
            kernel.close();
        }
        if (context != null) {
            context.close();
        }
        if (program != null) {
            program.close();
        }
    }

    private static String hex64() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Runs the program via sh inside {@code cgroup}; returns the sh, the program's pid and its argument. */
    private Ran runIn(TestCgroup cgroup) throws Exception {
        String arg = "arg-" + UUID.randomUUID();
        // "; true" keeps sh from exec'ing the program in its own process: it must fork it
        TestProgram.Run run = TestProgram.sh(cgroup.enterCommand() + " && " + program.binary + " " + arg + "; true");
        run.process().waitFor();
        assertEquals(0, run.process().exitValue());
        assertTrue(kernel.pollUntil(() -> context.processes().hasExited(run.pid())),
                "no exec/exit records for the program (pid " + run.pid() + ")");
        return new Ran(run.process().pid(), run.pid(), arg);
    }

    private record Ran(long shPid, int pid, String arg) {
    }

    @Test
    void shortLivedProcessInADockerContainerCgroup() throws Exception {
        String id = hex64();
        try (TestCgroup cgroup = new TestCgroup(mount, "/system.slice/docker-" + id + ".scope")) {
            Ran ran = runIn(cgroup);
            ProcessKernel.ExecHeader exec = kernel.execs.get(ran.pid());
            assertNotNull(exec, "exec record of the program");
            assertEquals(cgroup.id(), exec.cgroupId(), "the kernel's cgroup id is the directory's inode");
            assertEquals(0, exec.uid());

            ProcessContext.Fields f = context.of(ran.pid(), exec.uid(), exec.cgroupId());
            assertEquals(program.binary.toString(), f.processPath());
            assertEquals(program.binary + " " + ran.arg(), f.process());
            assertEquals(ran.shPid(), f.parentProcessId());
            assertEquals("sh", f.parentProcessName());
            assertEquals("root", f.user());
            assertEquals("/system.slice/docker-" + id + ".scope", f.cgroup(), () -> "" + context.stats());
            assertEquals(id, f.containerId());
            assertNull(f.service());
            assertNull(f.podUid());
        }
    }

    @Test
    void shortLivedProcessInASystemdServiceCgroup() throws Exception {
        String unit = "tcptrace-test-" + ThreadLocalRandom.current().nextInt(1_000_000) + ".service";
        try (TestCgroup cgroup = new TestCgroup(mount, "/system.slice/" + unit)) {
            Ran ran = runIn(cgroup);
            ProcessKernel.ExecHeader exec = kernel.execs.get(ran.pid());
            ProcessContext.Fields f = context.of(ran.pid(), exec.uid(), exec.cgroupId());
            assertEquals(program.binary.toString(), f.processPath());
            assertEquals(program.binary + " " + ran.arg(), f.process());
            assertEquals(ran.shPid(), f.parentProcessId());
            assertEquals("/system.slice/" + unit, f.cgroup());
            assertEquals(unit, f.service());
            assertNull(f.containerId());
        }
    }

    @Test
    void processStartedBeforeTheTracerIsReadFromProc() throws Exception {
        String arg = "before-" + UUID.randomUUID();
        TestProgram.Run run = program.startWaiting(arg);
        try (ProcessContext fresh = ProcessContext.start(ProcessSettings.defaults(), null)) {
            ProcessInfo p = fresh.processes().get(run.pid());
            assertNotNull(p, "the running program was not read from /proc at start");
            assertEquals(ProcessInfo.Source.PROC, p.source());
            ProcessContext.Fields f = fresh.of(run.pid(), 0, 1);
            assertEquals(program.binary.toString(), f.processPath());
            assertEquals(program.binary + " --wait " + arg, f.process());
            assertEquals(ProcessHandle.current().pid(), f.parentProcessId());
            assertEquals(Files.readString(Path.of("/proc/self/comm")).strip(), f.parentProcessName());
            assertEquals(0, fresh.stats().processes().misses());
        } finally {
            run.process().getOutputStream().close();
            run.process().waitFor();
        }
    }

    @Test
    void aMissForALiveProcessIsCountedAndReadFromProc() throws Exception {
        try (ProcessContext fresh = ProcessContext.start(ProcessSettings.defaults(), null)) {
            String arg = "after-" + UUID.randomUUID();
            TestProgram.Run run = program.startWaiting(arg);   // after the /proc read, no records fed
            try {
                ProcessContext.Fields f = fresh.of(run.pid(), 0, 1);
                ProcessCache.Stats s = fresh.stats().processes();
                assertEquals(1, s.misses());
                // within the 2 ms budget, or filled in the background for the next event
                if (f.processPath() == null) {
                    Thread.sleep(200);
                    f = fresh.of(run.pid(), 0, 1);
                }
                assertEquals(program.binary.toString(), f.processPath());
                assertEquals(program.binary + " --wait " + arg, f.process());
                assertEquals(1, fresh.stats().processes().procLoaded());
            } finally {
                run.process().getOutputStream().close();
                run.process().waitFor();
            }
        }
    }

    @Test
    void cacheOverflowEvictsExitedProcessesFirstAndCountsIt() throws Exception {
        // 32 entries: room for what else the shared machine starts meanwhile, far too few for
        // the 40 programs (and their sh) run here
        ProcessSettings small = ProcessSettings.defaults().withProcessCacheMax(32);
        try (ProcessContext tiny = new ProcessContext(small, ProcessContext.defaultLoader(), true, Path.of("/proc"),
                mount)) {
            kernel.decoders.add(tiny.records());
            TestProgram.Run alive = program.startWaiting("stays");
            try {
                assertTrue(kernel.pollUntil(() -> tiny.processes().peek(alive.pid()) != null));
                List<Integer> shortLived = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    TestProgram.Run r = TestProgram.sh(program.binary + " n" + i + "; true");
                    r.process().waitFor();
                    shortLived.add(r.pid());
                    kernel.poll(0);
                }
                int last = shortLived.get(shortLived.size() - 1);
                assertTrue(kernel.pollUntil(() -> tiny.processes().hasExited(last)));
                ProcessCache.Stats s = tiny.stats().processes();
                assertTrue(s.size() <= 32, "bounded: " + s);
                assertTrue(s.evictions() >= 40, "evictions counted: " + s);
                // exited processes went first: the live one is still there, from its exec record
                ProcessInfo kept = tiny.processes().peek(alive.pid());
                assertNotNull(kept, "a live process was evicted before exited ones: " + s);
                assertEquals(ProcessInfo.Source.EXEC, kept.source());
                assertEquals(program.binary.toString(), kept.path());
                // an evicted one is a counted miss, and the event still gets what is known
                assertNull(tiny.processes().peek(shortLived.get(0)));
                long missesBefore = tiny.stats().processes().misses();
                ProcessContext.Fields f = tiny.of(shortLived.get(0), 0, 1);
                assertNotNull(f);
                assertNull(f.processPath(), "gone, and not in /proc");
                assertEquals(missesBefore + 1, tiny.stats().processes().misses());
            } finally {
                kernel.decoders.remove(tiny.records());
                alive.process().getOutputStream().close();
                alive.process().waitFor();
            }
        }
    }

    @Test
    void threadsMakeNoForkRecords() throws Exception {
        int jvm = (int) ProcessHandle.current().pid();
        kernel.pollUntil(() -> false);   // records of earlier tests read
        int before = kernel.forksByParent.getOrDefault(jvm, 0);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Thread t = new Thread(() -> { });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        // one real child afterwards: its fork record proves the records were read
        TestProgram.Run r = TestProgram.sh(program.binary + " marker; true");
        r.process().waitFor();
        assertTrue(kernel.pollUntil(() -> context.processes().hasExited(r.pid())));
        assertEquals(1, kernel.forksByParent.getOrDefault(jvm, 0) - before,
                "50 new threads and one child process of this JVM: one fork record");
        assertEquals(0, context.stats().records().malformed());
    }

    @Test
    void commandLineCutInTheKernelToCmdlineMaxBytes() throws Exception {
        ProcessSettings cut = ProcessSettings.defaults().withCmdline(true, 64).withBudgetMillis(200);
        try (ProcessKernel k = new ProcessKernel(cut, 64);
                ProcessContext c = new ProcessContext(cut, ProcessContext.defaultLoader(), true, Path.of("/proc"),
                        mount)) {
            k.decoders.add(c.records());
            String arg = "long-" + "x".repeat(200);
            TestProgram.Run r = TestProgram.sh(program.binary + " " + arg + " second; true");
            r.process().waitFor();
            assertTrue(k.pollUntil(() -> c.processes().hasExited(r.pid())));
            String full = program.binary + " " + arg + " second";
            assertEquals(full.substring(0, 64), c.of(r.pid(), 0, 1).process());
            assertEquals(ProcessRecords.EXEC_ARGS_TRUNCATED, k.execs.get(r.pid()).flags(), "flagged as cut");
        }
    }

    @Test
    void cmdlineOffAndAFullBufferIsCounted() throws Exception {
        ProcessSettings off = ProcessSettings.defaults().withCmdline(false, 1024);
        try (ProcessKernel one = new ProcessKernel(off, 1);
                ProcessContext noArgs = new ProcessContext(off, ProcessContext.defaultLoader(), true,
                        Path.of("/proc"), mount)) {
            one.decoders.add(noArgs.records());
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {   // 20 execs, forks and exits: far more than 4 KiB
                TestProgram.Run r = TestProgram.sh(program.binary + " secret-" + i + "; true");
                r.process().waitFor();
                pids.add(r.pid());
            }
            long lost = one.counter(ProcessProbes.COUNTER_LOST_PROCESS);
            assertTrue(lost > 0, "a full ring buffer must be counted");
            one.pollUntil(() -> false);   // read whatever fit
            int seen = 0;
            for (int pid : pids) {
                if (one.execs.containsKey(pid)) {
                    seen++;
                    ProcessContext.Fields f = noArgs.of(pid, 0, 1);
                    assertEquals(program.binary.toString(), f.processPath());
                    assertNull(f.process(), "tcptrace.cmdline=false: no command line");
                }
            }
            assertTrue(seen > 0, "some exec records fit the buffer");
        }
    }
}
