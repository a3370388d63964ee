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
 * for the process context. Two sources: the API server's view of this node's pods
 * ({@link ApiPods}: names and the owning workload), when it is asked, and the kubelet's log
 * directories ({@link KubeletLogs}: names only, no access needed). A lookup reads maps and never
 * waits; a miss asks the loader thread to read the log directories again, at most once a second,
 * so a new pod's first events may go out without the names (counted as misses) and its next ones
 * carry them. Off, silently, where neither source exists ({@link #open}).
 */
public final class PodDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(PodDirectory.class);
    static final long REFRESH_GAP_NANOS = 1_000_000_000L;

    private final KubeletLogs logs;
    private final ApiPods api;
    private final Executor loader;
    private volatile KubeletLogs.Snapshot snapshot = KubeletLogs.Snapshot.EMPTY;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final AtomicLong lastRefresh = new AtomicLong(System.nanoTime() - REFRESH_GAP_NANOS);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder refreshFailures = new LongAdder();

    /**
     * Counters for metrics; {@code dropped}: entries left out by the bound (the log directories'
     * last reading, and pods the API reported beyond it).
     */
    public record Stats(long hits, long misses, int pods, int containers, long dropped, long refreshFailures,
            boolean apiWatching) {
    }

    /** {@code logs} or {@code api} may be null (not both). */
    PodDirectory(KubeletLogs logs, ApiPods api, Executor loader) {
        this.logs = logs;
        this.api = api;
        this.loader = loader;
    }

    /** Whether to ask the API server: {@code auto} inside a cluster when the node's name is known. */
    public enum ApiMode { AUTO, TRUE, FALSE }

    /**
     * The directory of this node's pods, or null when neither {@code logRoot/pods} exists nor the
     * API is to be asked (not a Kubernetes node). Reads the directories once now and starts the
     * API's watch (in-cluster configuration: the pod's ServiceAccount) without waiting for it.
     */
    public static PodDirectory open(Path logRoot, String nodeName, ApiMode apiMode, int maxEntries, Executor loader) {
        String node = nodeName == null || nodeName.isBlank() ? null : nodeName;
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
        // TRUE comes with a node name: TracerConfiguration refuses it without one.
        boolean ask = node != null && (apiMode == ApiMode.TRUE || (apiMode == ApiMode.AUTO && inCluster));
        ApiPods api = null;
        if (ask) {
            // The pod's ServiceAccount (or a kubeconfig); few request retries, so a failure is told
            // within a second or two, and the informer's own backoff takes over.
            var config = new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config.autoConfigure(null))
                    .withRequestRetryBackoffLimit(3).build();
            api = ApiPods.start(new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config)
                    .withTaskExecutor(loader).build(), node, maxEntries);
        }
        return open(new KubeletLogs(logRoot, maxEntries, node), api, loader);
    }

    /** As above, with the API's pods given (or null). */
    static PodDirectory open(KubeletLogs logs, ApiPods api, Executor loader) {
        boolean haveLogs = logs.present();
        if (!haveLogs && api == null) {
            return null;
        }
        PodDirectory d = new PodDirectory(haveLogs ? logs : null, api, loader);
        if (haveLogs) {
            d.refresh();
            Stats s = d.stats();
            LOG.info("kubernetes: {} pods and {} containers from the kubelet's logs in {}", s.pods(), s.containers(),
                    logs.root());
        }
        return d;
    }

    /**
     * The pod of this container (or else of this pod uid); null when unknown. Never blocks. The
     * API's answer wins; the log directories' names get the API's workload when it knows the pod.
     */
    public PodMetadata lookup(String containerId, String podUid) {
        if (containerId == null && podUid == null) {
            return null;
        }
        if (api != null && containerId != null) {
            PodMetadata m = api.byContainer(containerId);
            if (m != null) {
                hits.increment();
                return m;
            }
        }
        PodMetadata fromApi = api == null || podUid == null ? null : api.byPod(podUid);
        PodMetadata found = null;
        if (logs != null) {
            KubeletLogs.Snapshot s = snapshot;
            found = containerId == null ? null : s.byContainer().get(containerId);
            if (found == null && podUid != null && fromApi == null) {
                found = s.byPod().get(podUid);
            }
        }
        if (found != null && fromApi != null && found.containerName() != null) {
            found = found.withWorkload(fromApi.workloadKind(), fromApi.workloadName());
        } else if (found == null) {
            found = fromApi;
        }
        if (found == null || (containerId != null && found.containerName() == null)) {
            misses.increment();
            if (logs != null) {
                requestRefresh();
            }
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
        return new Stats(hits.sum(), misses.sum(), Math.max(s.byPod().size(), api == null ? 0 : api.pods()),
                s.byContainer().size(), s.dropped() + (api == null ? 0 : api.dropped.sum()), refreshFailures.sum(),
                api != null && api.watching());
    }

    /** Stops the API's watch, if any. */
    public void close() {
        if (api != null) {
            api.close();
        }
    }
}
