package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What the running kernel and this process can do, checked before anything is loaded. */
public final class KernelSupport {
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;
    private static final Path[] TRACEFS = {Path.of("/sys/kernel/tracing"), Path.of("/sys/kernel/debug/tracing")};

    private KernelSupport() {
    }

    /** Fails unless the process may load BPF programs and open perf events. */
    public static void requirePrivileges() {
        long caps = effectiveCapabilities();
        boolean admin = has(caps, CAP_SYS_ADMIN);
        boolean bpf = has(caps, CAP_BPF);
        boolean perfmon = has(caps, CAP_PERFMON);
        if (!admin && !(bpf && perfmon)) {
            String missing = (bpf ? "" : "CAP_BPF ") + (perfmon ? "" : "CAP_PERFMON");
            throw new BccException("not allowed to load BPF programs (missing " + missing.trim()
                    + "): run as root, or grant CAP_BPF and CAP_PERFMON (see the README, 'Least privilege')");
        }
    }

    /** The mounted tracefs, which libbcc needs for tracepoint formats and ids. */
    public static Path requireTracefs() {
        return tracefs().orElseThrow(() -> new BccException(
                "tracefs is not mounted: mount it with 'mount -t tracefs nodev /sys/kernel/tracing' (./tcptrace setup does)"));
    }

    public static Optional<Path> tracefs() {
        for (Path p : TRACEFS) {
            if (Files.isDirectory(p.resolve("events"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public static boolean hasTracepoint(String category, String event) {
        return tracefs().map(t -> Files.isDirectory(t.resolve("events").resolve(category).resolve(event)))
                .orElse(false);
    }

    /** kprobes exist when the kernel offers the kprobe PMU or the legacy kprobe_events file. */
    public static boolean hasKprobes() {
        return Files.isDirectory(Path.of("/sys/bus/event_source/devices/kprobe"))
                || tracefs().map(t -> Files.exists(t.resolve("kprobe_events"))).orElse(false);
    }

    /** The BPF ring buffer map type arrived in Linux 5.8. */
    public static boolean hasRingBuffer() {
        String[] parts = System.getProperty("os.version").split("[.-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = Integer.parseInt(parts[1]);
            return major > 5 || (major == 5 && minor >= 8);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean has(long caps, int cap) {
        return (caps & (1L << cap)) != 0;
    }

    private static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: unknown capabilities, let the kernel decide
        }
        return -1L;
    }
}
