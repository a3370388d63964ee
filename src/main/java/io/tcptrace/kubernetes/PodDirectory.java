package io.tcptrace.kubernetes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes names of the pod behind a container id or pod uid (both from the cgroup path),
 * for the process context. A lookup reads an immutable snapshot and never waits; a miss asks the
 * loader thread to read the kubelet's log directories again, at most once a second, so a new
 * pod's first events may go out without the names (counted as misses) and its next ones carry
 * them. Off, silently, where no kubelet writes pod logs ({@link #open}).
 */
public final class PodDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(PodDirectory.class);
    static final long REFRESH_GAP_NANOS = 1_000_000_000L;

    private final KubeletLogs logs;
    private final Executor loader;
    private volatile KubeletLogs.Snapshot snapshot = KubeletLogs.Snapshot.EMPTY;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final AtomicLong lastRefresh = new AtomicLong(System.nanoTime() - REFRESH_GAP_NANOS);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder refreshFailures = new LongAdder();

    /** Counters for metrics; {@code dropped}: entries left out of the last reading by the bound. */
    public record Stats(long hits, long misses, int pods, int containers, int dropped, long refreshFailures) {
    }

    PodDirectory(KubeletLogs logs, Executor loader) {
        this.logs = logs;
        this.loader = loader;
    }

    /**
     * The directory of this node's pods, or null when {@code logRoot/pods} does not exist (not a
     * Kubernetes node, or its logs are not mounted). Reads the directories once now.
     */
    public static PodDirectory open(Path logRoot, String nodeName, int maxEntries, Executor loader) {
        KubeletLogs logs = new KubeletLogs(logRoot, maxEntries, nodeName == null || nodeName.isBlank() ? null : nodeName);
        if (!logs.present()) {
            return null;
        }
        PodDirectory d = new PodDirectory(logs, loader);
        d.refresh();
        Stats s = d.stats();
        LOG.info("kubernetes: {} pods and {} containers from the kubelet's logs in {}", s.pods(), s.containers(),
                logRoot);
        return d;
    }

    /** The pod of this container (or else of this pod uid); null when unknown. Never blocks. */
    public PodMetadata lookup(String containerId, String podUid) {
        if (containerId == null && podUid == null) {
            return null;
        }
        KubeletLogs.Snapshot s = snapshot;
        PodMetadata found = containerId == null ? null : s.byContainer().get(containerId);
        if (found == null && podUid != null) {
            found = s.byPod().get(podUid);
        }
        if (found == null || (containerId != null && found.containerName() == null)) {
            misses.increment();
            requestRefresh();
            return found;
        }
        hits.increment();
        return found;
    }

    private void requestRefresh() {
        long now = System.nanoTime();
        long last = lastRefresh.get();
        if (now - last < REFRESH_GAP_NANOS || !lastRefresh.compareAndSet(last, now)
                || !refreshing.compareAndSet(false, true)) {
            return;
        }
        try {
            loader.execute(() -> {
                try {
                    refresh();
                } finally {
                    refreshing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            refreshing.set(false);
        }
    }

    void refresh() {
        try {
            snapshot = logs.read();
        } catch (IOException | RuntimeException e) {
            refreshFailures.increment();
            LOG.debug("kubernetes: cannot read {}: {}", logs.root(), e.toString());
        }
    }

    public Stats stats() {
        KubeletLogs.Snapshot s = snapshot;
        return new Stats(hits.sum(), misses.sum(), s.byPod().size(), s.byContainer().size(), s.dropped(),
                refreshFailures.sum());
    }
}
