package io.tcptrace.process;

/**
 * Settings of the process context, from {@code tcptrace.*} properties.
 *
 * @param cmdline           {@code tcptrace.cmdline}: read and report command lines at all
 * @param cmdlineMaxBytes   {@code tcptrace.cmdline-max-bytes}: command lines are cut to this many bytes
 * @param pathMaxBytes      executable paths are cut to this many bytes (in the kernel record)
 * @param processCacheMax   {@code tcptrace.process-cache-max}: processes remembered
 * @param cgroupCacheMax    cgroup paths remembered
 * @param userCacheMax      user names remembered
 * @param budgetMillis      longest a lookup waits for /proc, the cgroup tree or the user database
 * @param procReadsPerSecond /proc reads on cache misses allowed per second (beyond: counted, skipped)
 * @param cgroupRescanMillis shortest interval between two walks of the cgroup tree
 * @param kubernetes        {@code tcptrace.k8s.*}: where the kubelet's logs are and this node's name
 */
public record ProcessSettings(boolean cmdline, int cmdlineMaxBytes, int pathMaxBytes, int processCacheMax,
        int cgroupCacheMax, int userCacheMax, int budgetMillis, int procReadsPerSecond, int cgroupRescanMillis,
        Kubernetes kubernetes) {

    /**
     * @param logDir   the kubelet's log root ({@code /var/log}): pods and containers by name; none there, no names
     * @param nodeName the node's name (from the downward API), or null
     * @param api      whether to watch this node's pods on the API server (names and workloads)
     */
    public record Kubernetes(java.nio.file.Path logDir, String nodeName,
            io.tcptrace.kubernetes.PodDirectory.ApiMode api) {
        public static final Kubernetes DEFAULT = new Kubernetes(java.nio.file.Path.of("/var/log"), null,
                io.tcptrace.kubernetes.PodDirectory.ApiMode.AUTO);
    }
    public static final int CMDLINE_MAX_LIMIT = 32768;

    public ProcessSettings {
        require(cmdlineMaxBytes >= 16 && cmdlineMaxBytes <= CMDLINE_MAX_LIMIT, "tcptrace.cmdline-max-bytes",
                cmdlineMaxBytes, "16 to " + CMDLINE_MAX_LIMIT);
        require(pathMaxBytes >= 64 && pathMaxBytes <= 4096, "process path bytes", pathMaxBytes, "64 to 4096");
        require(processCacheMax >= 1, "tcptrace.process-cache-max", processCacheMax, "at least 1");
        require(cgroupCacheMax >= 1, "cgroup cache size", cgroupCacheMax, "at least 1");
        require(userCacheMax >= 1, "user cache size", userCacheMax, "at least 1");
        require(budgetMillis >= 0, "lookup budget", budgetMillis, "0 or more milliseconds");
        require(procReadsPerSecond >= 0, "/proc reads per second", procReadsPerSecond, "0 or more");
        require(cgroupRescanMillis >= 0, "cgroup rescan interval", cgroupRescanMillis, "0 or more milliseconds");
    }

    /** Command lines on, 1024 bytes, 65,536 processes, 5 ms budget, 200 /proc reads/s, cgroup walks 10 ms apart. */
    public static ProcessSettings defaults() {
        return new ProcessSettings(true, 1024, 512, 65536, 16384, 4096, 5, 200, 10, Kubernetes.DEFAULT);
    }

    public ProcessSettings withCmdline(boolean on, int maxBytes) {
        return new ProcessSettings(on, maxBytes, pathMaxBytes, processCacheMax, cgroupCacheMax, userCacheMax,
                budgetMillis, procReadsPerSecond, cgroupRescanMillis, kubernetes);
    }

    public ProcessSettings withProcessCacheMax(int max) {
        return new ProcessSettings(cmdline, cmdlineMaxBytes, pathMaxBytes, max, cgroupCacheMax, userCacheMax,
                budgetMillis, procReadsPerSecond, cgroupRescanMillis, kubernetes);
    }

    public ProcessSettings withBudgetMillis(int millis) {
        return new ProcessSettings(cmdline, cmdlineMaxBytes, pathMaxBytes, processCacheMax, cgroupCacheMax,
                userCacheMax, millis, procReadsPerSecond, cgroupRescanMillis, kubernetes);
    }

    public ProcessSettings withKubernetes(Kubernetes k) {
        return new ProcessSettings(cmdline, cmdlineMaxBytes, pathMaxBytes, processCacheMax, cgroupCacheMax,
                userCacheMax, budgetMillis, procReadsPerSecond, cgroupRescanMillis, k);
    }

    private static void require(boolean ok, String what, int value, String range) {
        if (!ok) {
            throw new IllegalArgumentException(what + " is " + value + ": set it to " + range);
        }
    }
}
