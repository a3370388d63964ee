package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.app.TracerProcess;
import io.tcptrace.process.TestCgroup;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's pod as the kubelet would run it, on this machine without Kubernetes: the packaged
 * chart ({@code target/tcptrace-chart-VERSION.tgz}) is rendered by Helm, and its DaemonSet's pod
 * spec is translated, field by field, into the runc bundle of the image: the container's
 * security context (user, capabilities, no privilege escalation, read-only root), the host's
 * namespaces, the environment with the downward API's values (the node's name, the pod's
 * address), hostPath, ConfigMap and emptyDir volumes with their mount modes. A field the
 * translation does not know fails the test rather than being skipped. The pod must become
 * ready by its readiness probe, trace a host connection into the node's data directory naming
 * the node, name the pod, namespace, container and node of a process in a pod's cgroup (the pod's
 * kubelet log directories made by the test in the kubelet's layout: no kubelet runs here), and
 * stop cleanly on SIGTERM within its grace period.
 */
@Tag("package")
class ChartPodTest {
    @TempDir
    static Path work;
    static Path chart;
    static Path image;
    static String version;

    @BeforeAll
    static void findArtifacts() {
        KernelTestSupport.requireKernel();
        version = System.getProperty("tcptrace.version");
        Path target = Path.of(System.getProperty("tcptrace.home", "."), "target");
        chart = target.resolve("tcptrace-chart-" + version + ".tgz");
        image = target.resolve("tcptrace-image-" + version + ".tar");
        assertTrue(Files.isRegularFile(chart) && Files.isRegularFile(image), "run ./tcptrace package first");
    }

    @Test
    void theDaemonSetsPodTracesTheNode() throws Exception {
        Path data = work.resolve("node-data");
        // A pod of this node as the kubelet lays it out: its cgroup (systemd driver, containerd)
        // and its log directories, whose names the pod reads through the chart's hostPath mounts.
        String uid = java.util.UUID.randomUUID().toString();
        String containerId = java.util.HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(32)
                .putLong(System.nanoTime()).putLong(uid.hashCode()).array());
        Path kubeletLogs = work.resolve("kubelet-log");
        Path podLog = Files.createDirectories(kubeletLogs.resolve("pods/shop_web-7d4b9c-x2x9z_" + uid + "/app"))
                .resolve("0.log");
        Files.writeString(podLog, "");
        Files.createDirectories(kubeletLogs.resolve("containers"));
        Files.createSymbolicLink(kubeletLogs.resolve("containers/web-7d4b9c-x2x9z_shop_app-" + containerId + ".log"),
                podLog);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        KubernetesObjects objects = KubernetesObjects.parse(new Helm(chart).template().withName("tcptrace")
                .withNamespace("tcptrace").withKubeVersion("1.31.0").set("sinks", "file")
                .set("dataHostPath", data.toString()).set("metrics.port", port)
                .set("kubeletLogDir", kubeletLogs.toString()).call());
        DaemonSet ds = objects.one(DaemonSet.class);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertEquals(1, pod.getContainers().size());
        Container container = pod.getContainers().get(0);

        String node = "test-node-" + ProcessHandle.current().pid();
        String podIp = nodeAddress();
        RuncBundle bundle = RuncBundle.unpack(image, version, work);
        Set<String> hostNamespaces = new HashSet<>();
        if (Boolean.TRUE.equals(pod.getHostPID())) {
            hostNamespaces.add("pid");
        }
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            hostNamespaces.addAll(List.of("network", "uts"));   // the kubelet shares UTS with a host-network pod
        }
        bundle.hostNamespaces(hostNamespaces);
        securityContext(bundle, container.getSecurityContext());
        bundle.env(environment(container, node, podIp));
        mounts(bundle, container, pod, objects);

        String id = "tcptrace-pod-" + ProcessHandle.current().pid();
        try (TracerProcess tracer = TracerProcess.start(bundle.run(id))) {
            tracer.awaitReady();
            var probe = container.getReadinessProbe().getHttpGet();
            int probePort = container.getPorts().stream().filter(p -> p.getName().equals(probe.getPort().getStrVal()))
                    .map(ContainerPort::getContainerPort).findFirst().orElseThrow();
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + podIp + ":" + probePort + probe.getPath())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), "the readiness probe: " + ready.body());

            Path events = data.resolve("data/tcp-connect.jsonl");
            int dest = EventsFile.connectOnce();
            JsonNode connect = EventsFile.await(events, "connect", dest, tracer::logText);
            assertEquals(ProcessHandle.current().pid(), connect.path("process_id").asLong(), "a process of the node");
            assertEquals(node, connect.path("host").asText(), "the event names the node (downward API)");
            EventsFile.await(events, "close", dest, tracer::logText);

            try (TestCgroup cgroup = new TestCgroup(io.tcptrace.process.CgroupPaths.findMount(),
                    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid.replace('-', '_')
                            + ".slice/cri-containerd-" + containerId + ".scope")) {
                int podDest;
                try (ServerSocket server = new ServerSocket(0)) {
                    podDest = server.getLocalPort();
                    // the pod's process lives on after its connect, as a pod's program does: the tracer may
                    // still read its new cgroup from /proc (one that exits at once may go out without it,
                    // README "Process context")
                    Process p = new ProcessBuilder("sh", "-c", cgroup.enterCommand() + " && exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/"
                            + podDest + "; sleep 1'").start();
                    server.accept().close();
                    p.waitFor();
                }
                JsonNode inPod = EventsFile.await(events, "connect", podDest, tracer::logText);
                assertEquals("shop", inPod.path("k8s_namespace").asText(), inPod.toString());
                assertEquals("web-7d4b9c-x2x9z", inPod.path("k8s_pod_name").asText());
                assertEquals("app", inPod.path("k8s_container_name").asText());
                assertEquals(node, inPod.path("k8s_node_name").asText());
                assertEquals(containerId, inPod.path("container_id").asText());
            }

            // No API server here: the pod watch fails and says so (once per 10 minutes); the names above
            // came from the kubelet's logs meanwhile.
            String warning = "kubernetes API: cannot list or watch the pods of node " + node;
            for (int i = 0; i < 300 && !tracer.logText().contains(warning); i++) {
                Thread.sleep(100);
            }
            assertTrue(tracer.logText().contains(warning), tracer.logText());
            assertEquals(1, tracer.log().stream().filter(l -> l.contains(warning)).count(), "said once");

            long stopStart = System.nanoTime();
            assertEquals(143, tracer.sigterm());
            double stopSeconds = (System.nanoTime() - stopStart) / 1e9;
            assertTrue(stopSeconds < pod.getTerminationGracePeriodSeconds(),
                    "stopped in " + stopSeconds + " s, within terminationGracePeriodSeconds");
            assertTrue(tracer.logText().matches("(?s).*stopped after \\d+ events from the kernel, 0 lost.*"),
                    tracer.logText());
        } finally {
            bundle.delete(id);
        }
    }

    /** runAsUser, capabilities (drop ALL, add ...), allowPrivilegeEscalation, readOnlyRootFilesystem. */
    private static void securityContext(RuncBundle bundle, SecurityContext sc) {
        assertEquals(Boolean.FALSE, sc.getPrivileged(), "this test runs the leastPrivilege mode");
        bundle.user(sc.getRunAsUser());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), "the translation expects drop ALL");
        bundle.capabilities(sc.getCapabilities().getAdd().stream().map(c -> "CAP_" + c).toList());
        bundle.noNewPrivileges(Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()));
        bundle.readOnlyRoot(Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem()));
        assertEquals("Unconfined", sc.getSeccompProfile().getType(), "runc here applies no seccomp profile either");
    }

    /** Values, and the downward API's spec.nodeName and status.podIP; anything else fails. */
    private static Map<String, String> environment(Container c, String node, String podIp) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            if (e.getValueFrom() == null) {
                env.put(e.getName(), e.getValue());
                continue;
            }
            String field = e.getValueFrom().getFieldRef() == null ? null : e.getValueFrom().getFieldRef().getFieldPath();
            env.put(e.getName(), switch (field == null ? "" : field) {
                case "spec.nodeName" -> node;
                case "status.podIP" -> podIp;
                default -> throw new AssertionError("the translation does not know the env source of " + e.getName());
            });
        }
        assertTrue(c.getEnvFrom() == null || c.getEnvFrom().isEmpty(), "no envFrom in this configuration");
        return env;
    }

    private static void mounts(RuncBundle bundle, Container c, PodSpec pod, KubernetesObjects objects) throws Exception {
        Map<String, Volume> volumes = new LinkedHashMap<>();
        pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        List<String> unmounted = new ArrayList<>(volumes.keySet());
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = volumes.get(m.getName());
            unmounted.remove(m.getName());
            boolean ro = Boolean.TRUE.equals(m.getReadOnly());
            String source;
            if (v.getHostPath() != null) {
                Path p = Path.of(v.getHostPath().getPath());
                if ("DirectoryOrCreate".equals(v.getHostPath().getType())) {
                    Files.createDirectories(p);
                }
                assertTrue(Files.isDirectory(p), "hostPath " + p + " (type " + v.getHostPath().getType() + ")");
                source = p.toString();
            } else if (v.getConfigMap() != null) {
                ConfigMap cm = objects.one(ConfigMap.class);
                assertEquals(cm.getMetadata().getName(), v.getConfigMap().getName());
                Path dir = Files.createDirectories(work.resolve("configmap-" + v.getName()));
                for (var entry : cm.getData().entrySet()) {
                    Files.writeString(dir.resolve(entry.getKey()), entry.getValue());
                }
                source = dir.toString();
            } else if (v.getEmptyDir() != null) {
                source = Files.createDirectories(work.resolve("emptydir-" + v.getName())).toString();
            } else {
                throw new AssertionError("the translation does not know the volume " + v.getName());
            }
            bundle.bind(source, m.getMountPath(), ro);
        }
        assertEquals(List.of(), unmounted, "volumes without a mount");
    }

    /** The pod's address under hostNetwork: one of the node's own (not loopback when there is one). */
    private static String nodeAddress() throws Exception {
        for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress a : nif.inetAddresses().toList()) {
                    if (a instanceof Inet4Address) {
                        return a.getHostAddress();
                    }
                }
            }
        }
        return "127.0.0.1";
    }
}
