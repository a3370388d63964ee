package io.tcptrace.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time per thread of a process (/proc/PID/task/TID/stat), to split a tracer's CPU between
 * the JIT compiler threads and its busiest thread (for tcptrace, the poll thread that runs the
 * route). Thread names are the kernel's 15-byte {@code comm}.
 */
final class ThreadCpu {
    record Sample(String comm, long micros) {
    }

    /** Between two snapshots: JIT compiler threads, and the thread that used most CPU. */
    record Split(long jitMicros, String busiest, long busiestMicros) {
    }

    private ThreadCpu() {
    }

    static Map<Long, Sample> snapshot(long pid) {
        Map<Long, Sample> threads = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var dirs = Files.list(tasks)) {
            for (Path task : dirs.toList()) {
                try {
                    String stat = Files.readAllLines(task.resolve("stat"), StandardCharsets.ISO_8859_1).get(0);
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    threads.put(Long.parseLong(task.getFileName().toString()), new Sample(comm, ProcStat.ticksToMicros(stat)));
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while being listed
                }
            }
        } catch (IOException gone) {
            // the process ended
        }
        return threads;
    }

    /**
     * Threads that ended in between are in neither part (their time is still in the process's
     * total); HotSpot starts and stops compiler threads as the JIT's queue needs.
     */
    static Split split(Map<Long, Sample> before, Map<Long, Sample> after) {
        long jit = 0;
        String busiest = "-";
        long busiestMicros = 0;
        for (var e : after.entrySet()) {
            Sample b = before.get(e.getKey());
            long used = e.getValue().micros() - (b == null ? 0 : b.micros());
            String comm = e.getValue().comm();
            if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                jit += used;
            } else if (used > busiestMicros) {
                busiest = comm;
                busiestMicros = used;
            }
        }
        return new Split(jit, busiest, busiestMicros);
    }
}
