package io.tcptrace.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's pods as the API server knows them, kept current by a fabric8 informer (a list,
 * then a watch, limited by field selector to {@code spec.nodeName}): their names, their
 * containers by id, and the workload that owns each pod. A Deployment is named through its
 * ReplicaSet: the ReplicaSet's name is the Deployment's plus {@code -<pod-template-hash>}, the
 * hash the pod carries as a label, so no ReplicaSet is read. A Job stays a Job (a CronJob's Jobs
 * are not told apart from others without reading the Job).
 */
final class ApiPods implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiPods.class);
    private static final String[] RUNTIME_PREFIXES = {"containerd://", "cri-o://", "docker://"};

    private final KubernetesClient client;
    private final SharedIndexInformer<Pod> informer;
    private final String nodeName;
    private final int maxEntries;
    private final Map<String, PodMetadata> byPod = new ConcurrentHashMap<>();
    private final Map<String, PodMetadata> byContainer = new ConcurrentHashMap<>();
    private final Map<String, List<String>> containersOfPod = new ConcurrentHashMap<>();
    private static final long WARN_GAP_NANOS = 600_000_000_000L;
    final LongAdder dropped = new LongAdder();
    final LongAdder failures = new LongAdder();
    private final java.util.concurrent.atomic.AtomicLong lastWarn = new java.util.concurrent.atomic.AtomicLong();

    /** {@code nodeSelector}: ask the server for this node's pods only (false only for a server without field selectors). */
    private ApiPods(KubernetesClient client, String nodeName, int maxEntries, boolean nodeSelector) {
        this.client = client;
        this.nodeName = nodeName;
        this.maxEntries = maxEntries;
        this.informer = nodeSelector
                ? client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(0)
                : client.pods().inAnyNamespace().runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                put(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                put(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                remove(pod.getMetadata().getUid());
            }
        });
    }

    /**
     * Starts watching this node's pods. Returns at once: a failure to list (no access, no API
     * server) is logged once with the fix, and the events carry the kubelet logs' names meanwhile.
     */
    static ApiPods start(KubernetesClient client, String nodeName, int maxEntries) {
        return start(client, nodeName, maxEntries, true);
    }

    static ApiPods start(KubernetesClient client, String nodeName, int maxEntries, boolean nodeSelector) {
        ApiPods pods = new ApiPods(client, nodeName, maxEntries, nodeSelector);
        // Every failed list or watch comes here; the informer retries with backoff (true), the
        // WARN comes at most every 10 minutes.
        pods.informer.exceptionHandler((started, failure) -> {
            pods.failures.increment();
            long now = System.nanoTime();
            long last = pods.lastWarn.get();
            if ((last == 0 || now - last > WARN_GAP_NANOS) && pods.lastWarn.compareAndSet(last, now)) {
                LOG.warn("kubernetes API: cannot list or watch the pods of node {} at {}: {}. Grant get, list and"
                        + " watch on pods to this pod's ServiceAccount (the Helm chart does with"
                        + " kubernetesApi.enabled=true), or set tcptrace.k8s.api=false; meanwhile the events carry the"
                        + " names the kubelet's logs give, without workloads. Retrying.", nodeName,
                        client.getMasterUrl(), failure.toString());
            }
            return true;
        });
        pods.informer.start().whenComplete((ok, failure) -> {
            if (failure == null) {
                LOG.info("kubernetes API: watching the {} pods of node {} at {}", pods.byPod.size(), nodeName,
                        client.getMasterUrl());
            }
        });
        return pods;
    }

    PodMetadata byContainer(String containerId) {
        return byContainer.get(containerId);
    }

    PodMetadata byPod(String podUid) {
        return byPod.get(podUid);
    }

    int pods() {
        return byPod.size();
    }

    boolean watching() {
        return informer.isRunning() && informer.hasSynced();
    }

    private void put(Pod pod) {
        String uid = pod.getMetadata().getUid();
        if (uid == null) {
            return;
        }
        if (pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())) {
            remove(uid);   // the field selector keeps other nodes' pods out; a server that ignores it too
            return;
        }
        if (!byPod.containsKey(uid) && byPod.size() >= maxEntries) {
            dropped.increment();
            return;
        }
        String[] owner = workload(pod);
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        byPod.put(uid, new PodMetadata(ns, name, null, owner[0], owner[1], nodeName));
        List<String> ids = new ArrayList<>();
        if (pod.getStatus() != null) {
            List<ContainerStatus> all = new ArrayList<>();
            all.addAll(listOrEmpty(pod.getStatus().getContainerStatuses()));
            all.addAll(listOrEmpty(pod.getStatus().getInitContainerStatuses()));
            all.addAll(listOrEmpty(pod.getStatus().getEphemeralContainerStatuses()));
            for (ContainerStatus c : all) {
                String id = containerId(c.getContainerID());
                if (id != null) {
                    ids.add(id);
                    byContainer.put(id, new PodMetadata(ns, name, c.getName(), owner[0], owner[1], nodeName));
                }
            }
        }
        List<String> before = containersOfPod.put(uid, ids);
        if (before != null) {
            before.stream().filter(id -> !ids.contains(id)).forEach(byContainer::remove);
        }
    }

    private void remove(String uid) {
        if (uid == null) {
            return;
        }
        byPod.remove(uid);
        List<String> ids = containersOfPod.remove(uid);
        if (ids != null) {
            ids.forEach(byContainer::remove);
        }
    }

    /** The id without the runtime's scheme ({@code containerd://<64 hex>}); null if there is none yet. */
    static String containerId(String statusId) {
        if (statusId == null) {
            return null;
        }
        for (String prefix : RUNTIME_PREFIXES) {
            if (statusId.startsWith(prefix)) {
                String id = statusId.substring(prefix.length());
                return id.matches("[0-9a-f]{64}") ? id : null;
            }
        }
        return null;
    }

    /** {kind, name} of the workload that controls the pod; {null, null} for a pod of its own. */
    static String[] workload(Pod pod) {
        List<OwnerReference> owners = listOrEmpty(pod.getMetadata().getOwnerReferences());
        OwnerReference owner = owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())).findFirst()
                .orElse(owners.isEmpty() ? null : owners.get(0));
        if (owner == null) {
            return new String[] {null, null};
        }
        if ("ReplicaSet".equals(owner.getKind())) {
            Map<String, String> labels = pod.getMetadata().getLabels();
            String hash = labels == null ? null : labels.get("pod-template-hash");
            if (hash != null && owner.getName().endsWith("-" + hash)) {
                return new String[] {"Deployment", owner.getName().substring(0, owner.getName().length() - hash.length() - 1)};
            }
        }
        return new String[] {owner.getKind(), owner.getName()};
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    @Override
    public void close() {
        informer.close();
        client.close();
    }
}
