package io.tcptrace.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What /proc says about one process: its CPU time over all threads, its memory, where it waits. */
final class ProcStat {
    private static final long TICKS_PER_SECOND = clockTicks();
    /** x86-64 syscall numbers of epoll_wait, epoll_pwait, epoll_pwait2. */
    private static final String[] EPOLL_WAITS = {"232", "281", "441"};

    private ProcStat() {
    }

    /**
     * utime + stime of the whole process (all threads, also those that have ended) in
     * microseconds; /proc's resolution is one clock tick (10 ms at USER_HZ 100). -1 once gone.
     */
    static long cpuMicros(long pid) {
        String stat;
        try {
            stat = Files.readAllLines(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1).get(0);
        } catch (IOException | IndexOutOfBoundsException e) {
            return -1;
        }
        return ticksToMicros(stat);
    }

    /** utime + stime of one line of /proc/PID/stat or /proc/PID/task/TID/stat, in µs. */
    static long ticksToMicros(String stat) {
        // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
        return ticks * 1_000_000L / TICKS_PER_SECOND;
    }

    /** VmRSS in kB, -1 once gone. */
    static long rssKb(long pid) {
        return statusKb(pid, "VmRSS:");
    }

    /** VmHWM (the peak of VmRSS since start) in kB, -1 once gone. */
    static long hwmKb(long pid) {
        return statusKb(pid, "VmHWM:");
    }

    private static long statusKb(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /**
     * True when the process's main thread is blocked in epoll_wait: how the C tools and bpftrace
     * sit once their probes are attached and they read their buffers (they print nothing to say
     * so, and their stdout is block-buffered into a file).
     */
    static boolean waitsInEpoll(long pid) {
        try {
            String call = Files.readAllLines(Path.of("/proc", Long.toString(pid), "syscall")).get(0).trim().split(" ")[0];
            for (String n : EPOLL_WAITS) {
                if (n.equals(call)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
