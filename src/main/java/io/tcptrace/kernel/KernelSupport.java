package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** What the running kernel and this process can do, checked before anything is loaded. */
public final class KernelSupport {
    private static final int CAP_DAC_OVERRIDE = 1;
    private static final int CAP_DAC_READ_SEARCH = 2;
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_IPC_LOCK = 14;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;
    private static final Path[] TRACEFS = {Path.of("/sys/kernel/tracing"), Path.of("/sys/kernel/debug/tracing")};
    /** The fix shared by every missing-capability message: the set deploy/tcptrace.service grants. */
    private static final String GRANT = "run as root, or with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH "
            + "as deploy/tcptrace.service does";

    private KernelSupport() {
    }

    /**
     * Fails unless the process may create BPF maps, load a tracing program and attach it.
     * CAP_SYS_ADMIN alone covers both (and is all there is before Linux 5.8).
     */
    public static void requirePrivileges() {
        long caps = effectiveCapabilities();
        if (has(caps, CAP_SYS_ADMIN)) {
            return;
        }
        List<String> missing = new ArrayList<>();
        if (!has(caps, CAP_BPF)) {
            missing.add("CAP_BPF (needed to create the BPF maps and load the program)");
        }
        if (!has(caps, CAP_PERFMON)) {
            missing.add("CAP_PERFMON (needed to load a tracing BPF program and attach it to tracepoints)");
        }
        if (!missing.isEmpty()) {
            throw new BccException("missing " + String.join(" and ", missing) + ": " + GRANT);
        }
    }

    /**
     * The mounted tracefs, which libbcc needs for tracepoint formats and ids. It is mounted
     * root-only (mode 0700) by default, so a non-root process needs CAP_DAC_READ_SEARCH to read it.
     */
    public static Path requireTracefs() {
        Optional<Path> readable = tracefs();
        if (readable.isPresent()) {
            return readable.get();
        }
        Path mounted = mountedTracefs().orElseThrow(() -> new BccException(
                "tracefs is not mounted: mount it with 'mount -t tracefs nodev /sys/kernel/tracing' (./tcptrace setup does)"));
        long caps = effectiveCapabilities();
        if (!has(caps, CAP_DAC_READ_SEARCH) && !has(caps, CAP_DAC_OVERRIDE)) {
            throw new BccException("missing CAP_DAC_READ_SEARCH (needed to read tracepoint formats and ids in " + mounted
                    + ", which user " + System.getProperty("user.name") + " may not read): " + GRANT);
        }
        throw new BccException("cannot read tracefs at " + mounted + " although it is mounted: check what denies "
                + "access to " + mounted.resolve("events") + " (security module, mount options)");
    }

    /** True when the process holds CAP_IPC_LOCK, which lifts the locked-memory limit (perf buffers). */
    public static boolean canLockMemory() {
        return has(effectiveCapabilities(), CAP_IPC_LOCK);
    }

    /** True when the process may load network programs (cgroup socket-buffer filters): CAP_NET_ADMIN or CAP_SYS_ADMIN. */
    public static boolean canAdminNetwork() {
        long caps = effectiveCapabilities();
        return has(caps, CAP_NET_ADMIN) || has(caps, CAP_SYS_ADMIN);
    }

    /** Where tracefs is mounted, by /proc/self/mountinfo, whether or not this process may read it. */
    static Optional<Path> mountedTracefs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
                String[] fields = line.split(" ");
                int separator = Arrays.asList(fields).indexOf("-");
                if (fields.length > 4 && separator > 0 && separator + 1 < fields.length
                        && fields[separator + 1].equals("tracefs")) {
                    Path point = Path.of(fields[4]);
                    if (Arrays.asList(TRACEFS).contains(point)) {
                        return Optional.of(point);
                    }
                }
            }
        } catch (IOException e) {
            // no mountinfo: report tracefs as not mounted
        }
        return Optional.empty();
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
        return kernelAtLeast(System.getProperty("os.version"), 5, 8);
    }

    /** Whether a kernel release such as {@code 6.1.0-56-amd64} is at least major.minor; false if unreadable. */
    static boolean kernelAtLeast(String release, int wantMajor, int wantMinor) {
        String[] parts = release.split("[.-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = Integer.parseInt(parts[1]);
            return major > wantMajor || (major == wantMajor && minor >= wantMinor);
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
