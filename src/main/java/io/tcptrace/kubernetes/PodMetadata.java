package io.tcptrace.kubernetes;

/**
 * What Kubernetes calls the pod a process runs in. Null where unknown: the container when only
 * the pod is known, the workload when no API server was asked.
 *
 * @param workloadKind the owner that manages the pod: Deployment (through its ReplicaSet),
 *                     StatefulSet, DaemonSet, Job, ReplicaSet, or the owner's own kind
 */
public record PodMetadata(String namespace, String podName, String containerName, String workloadKind,
        String workloadName, String nodeName) {

    PodMetadata withWorkload(String kind, String name) {
        return new PodMetadata(namespace, podName, containerName, kind, name, nodeName);
    }
}
