package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What a cache hit costs the event writer: {@link ProcessContext#of} for a known process, user and
 * cgroup, timed in a plain loop (no JMH; the best of five rounds, so other builds on the machine
 * count as little as possible). The budget is 1 µs per event.
 */
class ProcessContextCostTest {
    @Test
    void aHitCostsWellUnderAMicrosecond() throws Exception {
        Path mount = CgroupPaths.findMount();
        assertNotNull(mount);
        long cgroup = (Long) Files.getAttribute(mount, "unix:ino");
        int pid = (int) ProcessHandle.current().pid();
        try (ProcessContext context = ProcessContext.start(ProcessSettings.defaults(), null)) {
            ProcessContext.Fields f = context.of(pid, 0, cgroup);
            assertEquals("/", f.cgroup());
            assertEquals("root", f.user());
            assertNotNull(f.processPath());
            long sink = 0;
            for (int i = 0; i < 300_000; i++) {
                sink += context.of(pid, 0, cgroup).parentProcessId();
            }
            long best = Long.MAX_VALUE;
            int n = 1_000_000;
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    sink += context.of(pid, 0, cgroup).parentProcessId();
                }
                best = Math.min(best, System.nanoTime() - t0);
            }
            double nsPerHit = (double) best / n;
            System.out.printf("process context cache hit (process + cgroup + user): %.1f ns%n", nsPerHit);
            assertTrue(sink != 0);
            assertTrue(nsPerHit < 1000, "a hit must cost under 1 µs, took " + nsPerHit + " ns");
            assertEquals(0, context.stats().processes().misses(), "all hits: " + context.stats());
        }
    }
}
