package io.tcptrace.process;

import io.tcptrace.kubernetes.PodDirectory;
import io.tcptrace.kubernetes.PodMetadata;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process context of an event: given the pid, uid and cgroup id the kernel reported, the
 * executable, command line, parent, user name, cgroup path, systemd service, container and pod,
 * and on a Kubernetes node the pod's names ({@link PodDirectory}).
 * What is not known is null; a lookup never waits longer than the budget
 * ({@link ProcessSettings#budgetMillis()}) even on a miss, and a hit takes no lock but the caches'
 * own, uncontended one.
 *
 * <p>Feed it the kernel's process records through {@link #records()}, on the reader's thread.
 * Each exec record also starts, in the background, the lookup of its cgroup path and user name,
 * so that they are usually known before the process's first connection is read.
 */
public final class ProcessContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessContext.class);

    private final ProcessSettings settings;
    private final ExecutorService loader;
    private final boolean ownLoader;
    private final BoundedWait wait;
    private final ProcessCache processes;
    private final CgroupPaths cgroups;
    private final UserNames users;
    private final ProcessRecords records;
    private final PodDirectory pods;

    /**
     * The context fields, named as in the event schema. Null or 0 when unknown.
     *
     * @param parentProcessId 0 when unknown
     */
    public record Fields(String processPath, String process, int parentProcessId, String parentProcessName,
            String user, String cgroup, String service, String containerId, String podUid, PodMetadata pod) {
        public static final Fields NONE = new Fields(null, null, 0, null, null, null, null, null, null, null);

        /** Without Kubernetes names. */
        public Fields(String processPath, String process, int parentProcessId, String parentProcessName,
                String user, String cgroup, String service, String containerId, String podUid) {
            this(processPath, process, parentProcessId, parentProcessName, user, cgroup, service, containerId, podUid,
                    null);
        }
    }

    /** Counters of the three caches and the loader, for metrics. */
    /** {@code pods}: null off Kubernetes. */
    public record Stats(ProcessCache.Stats processes, CgroupPaths.Stats cgroups, UserNames.Stats users,
            ProcessRecords.Counts records, long lookupTimeouts, long loaderRejected, PodDirectory.Stats pods) {
    }

    ProcessContext(ProcessSettings settings, ExecutorService loader, boolean ownLoader, Path proc, Path cgroupMount) {
        this(settings, loader, ownLoader, proc, proc, cgroupMount);
    }

    /** {@code procByPid}: where processes are read by the kernel's pids; null for nowhere. */
    private ProcessContext(ProcessSettings settings, ExecutorService loader, boolean ownLoader, Path proc,
            Path procByPid, Path cgroupMount) {
        this.settings = settings;
        this.loader = loader;
        this.ownLoader = ownLoader;
        this.wait = new BoundedWait(loader, settings.budgetMillis() * 1_000_000L);
        this.processes = new ProcessCache(settings.processCacheMax(),
                new ProcFs(procByPid, settings.cmdline(), settings.cmdlineMaxBytes()), wait,
                new RateLimit(settings.procReadsPerSecond()));
        this.cgroups = new CgroupPaths(cgroupMount, proc, settings.cgroupCacheMax(), settings.cgroupRescanMillis(),
                wait);
        this.users = new UserNames(settings.userCacheMax(), wait);
        this.records = new ProcessRecords(processes, settings, (pid, uid, cgroupId) -> {
            cgroups.prefetch(cgroupId, pid);
            users.prefetch(uid);
        });
        this.pods = PodDirectory.open(settings.kubernetes().logDir(), settings.kubernetes().nodeName(),
                settings.kubernetes().api(), settings.cgroupCacheMax(), loader);
    }

    /**
     * Builds the context and learns what exists now: every process in /proc and every cgroup
     * under the cgroup2 mount (found in /proc/mounts). {@code loader} runs the slow lookups; it
     * should be a single thread with a bounded queue; null makes one (a daemon thread).
     */
    public static ProcessContext start(ProcessSettings settings, ExecutorService loader) {
        ProcessContext context = create(settings, loader);
        context.learnExisting();
        return context;
    }

    /**
     * Builds an empty context. The tracer creates it before it attaches the probes and calls
     * {@link #learnExisting()} after, so a process started in between is in the kernel's records,
     * in /proc, or in both (the kernel's record wins), never in neither.
     */
    public static ProcessContext create(ProcessSettings settings, ExecutorService loader) {
        return create(settings, loader, true);
    }

    /**
     * As {@link #create(ProcessSettings, ExecutorService)}; {@code procShowsKernelPids} false when
     * /proc belongs to another pid namespace than the pids the kernel reports (a tracer in a
     * container without the host's pid namespace): then no process is read from /proc by pid, and
     * the context comes from the kernel's process records, the cgroup tree and the user database only.
     */
    public static ProcessContext create(ProcessSettings settings, ExecutorService loader,
            boolean procShowsKernelPids) {
        boolean own = loader == null;
        ExecutorService l = own ? defaultLoader() : loader;
        Path mount = CgroupPaths.findMount();
        if (mount == null) {
            LOG.warn("no cgroup2 mount in /proc/mounts: events carry no cgroup, service or container fields");
        }
        Path proc = Path.of("/proc");
        return new ProcessContext(settings, l, own, proc, procShowsKernelPids ? proc : null, mount);
    }

    /** Reads /proc's processes and the cgroup tree once, and loads the user database's modules. */
    public void learnExisting() {
        long started = System.nanoTime();
        int known = processes.fillFromProc();
        cgroups.scan();
        users.warm(0);
        LOG.info("process context: {} processes from /proc, {} cgroups under {} in {} ms", known,
                cgroups.stats().size(), cgroups.mount(), (System.nanoTime() - started) / 1_000_000);
    }

    static ExecutorService defaultLoader() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "tcptrace-process-context");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        return pool;
    }

    /** The decoder to hand every ring-buffer record to (it takes kinds 16-18). */
    public ProcessRecords records() {
        return records;
    }

    /** The context of an event from process {@code pid}, user {@code uid}, cgroup {@code cgroupId}. */
    public Fields of(int pid, int uid, long cgroupId) {
        ProcessInfo p = processes.get(pid);
        CgroupPath c = cgroups.get(cgroupId, pid);
        String user = users.get(uid);
        if (p == null && c == null && user == null) {
            return Fields.NONE;
        }
        PodMetadata pod = pods == null || c == null ? null : pods.lookup(c.containerId(), c.podUid());
        return new Fields(p == null ? null : p.path(), p == null || !settings.cmdline() ? null : p.cmdline(),
                p == null ? 0 : p.parentPid(), p == null ? null : p.parentName(), user,
                c == null ? null : c.path(), c == null ? null : c.service(), c == null ? null : c.containerId(),
                c == null ? null : c.podUid(), pod);
    }

    public ProcessCache processes() {
        return processes;
    }

    public CgroupPaths cgroups() {
        return cgroups;
    }

    public UserNames users() {
        return users;
    }

    /** The Kubernetes pod names, or null off Kubernetes. */
    public PodDirectory pods() {
        return pods;
    }

    public Stats stats() {
        return new Stats(processes.stats(), cgroups.stats(), users.stats(), records.counts(), wait.timeouts(),
                wait.rejected(), pods == null ? null : pods.stats());
    }

    @Override
    public void close() {
        if (pods != null) {
            pods.close();
        }
        if (ownLoader) {
            loader.shutdownNow();
        }
    }
}
