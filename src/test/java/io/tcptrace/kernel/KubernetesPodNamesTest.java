package io.tcptrace.kernel;

import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventJson;
import io.tcptrace.kubernetes.PodDirectory;
import io.tcptrace.kubernetes.PodMetadata;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.TestCgroup;
import io.tcptrace.process.TestProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod, namespace, container and node names on the events of processes in pods, on the real
 * kernel: a program run inside a cgroup laid out as the kubelet's systemd driver lays out a
 * containerd container, with the kubelet's log directories laid out beside it as the kubelet
 * writes them ({@code pods/<ns>_<pod>_<uid>/<container>/0.log}, {@code containers/<pod>_<ns>_<container>-<id>.log}
 * linking to it). No kubelet runs here: the directories are made by the test, in the kubelet's
 * documented layout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesPodNamesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestProgram program;
    private Path mount;
    @TempDir
    Path logs;

    @BeforeAll
    void start() throws Exception {
        KernelTestSupport.requireKernel();
        mount = CgroupPaths.findMount();
        assertNotNull(mount, "this host has no cgroup2 mount");
        program = new TestProgram();
    }

    @AfterAll
    void stop() throws Exception {
        if (program != null) {
            program.close();
        }
    }

    private record Pod(String uid, String namespace, String name, String container, String containerId) {
        String cgroup() {
            return "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid.replace('-', '_')
                    + ".slice/cri-containerd-" + containerId + ".scope";
        }
    }

    private static Pod newPod(String namespace, String name, String container) {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return new Pod(UUID.randomUUID().toString(), namespace, name, container, HexFormat.of().formatHex(b));
    }

    /** What the kubelet writes for a running container. */
    private void kubeletLogs(Pod p) throws Exception {
        Path log = Files.createDirectories(logs.resolve("pods").resolve(p.namespace + "_" + p.name + "_" + p.uid)
                .resolve(p.container)).resolve("0.log");
        Files.writeString(log, "");
        Files.createDirectories(logs.resolve("containers"));
        Files.createSymbolicLink(logs.resolve("containers")
                .resolve(p.name + "_" + p.namespace + "_" + p.container + "-" + p.containerId + ".log"), log);
    }

    private List<ConnectionEvent> connectFrom(TracerHarness h, TestCgroup cgroup, int n) throws Exception {
        int port = refusedPort();
        TestProgram.Run run = TestProgram.sh(cgroup.enterCommand() + " && " + program.binary + " --connect " + port
                + " " + n + " k8s; true");
        run.process().waitFor();
        List<ConnectionEvent> events = h.awaitCount(n, e -> e.destPort() == port);
        assertEquals(n, events.size());
        return events;
    }

    private TestConfig config() {
        return TestConfig.defaults().with(c -> {
            c.setEvents("connect");
            c.setProcessLookupBudget(2000);
            c.setKubernetesLogDir(logs.toString());
            c.setKubernetesNodeName("test-node-1");
        });
    }

    @Test
    void aPodsProcessIsNamedAndAPodTheKubeletDoesNotNameIsNot() throws Exception {
        Pod web = newPod("shop", "web-7d4b9c-x2x9z", "app");
        kubeletLogs(web);
        Pod unknown = newPod("shop", "not-in-the-logs", "app");
        try (TracerHarness h = new TracerHarness(config());
                TestCgroup cgroup = new TestCgroup(mount, web.cgroup());
                TestCgroup other = new TestCgroup(mount, unknown.cgroup())) {
            for (ConnectionEvent e : connectFrom(h, cgroup, 2)) {
                assertEquals(web.containerId, e.context().containerId());
                assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", "app", null, null, "test-node-1"),
                        e.context().pod());
                JsonNode json = JSON.readTree(EventJson.perThread().write(e));
                assertEquals("shop", json.path("k8s_namespace").asText());
                assertEquals("web-7d4b9c-x2x9z", json.path("k8s_pod_name").asText());
                assertEquals("app", json.path("k8s_container_name").asText());
                assertEquals("test-node-1", json.path("k8s_node_name").asText());
                assertEquals(web.uid, json.path("pod_uid").asText());
            }
            PodDirectory.Stats before = h.tracer.processContext().pods().stats();
            for (ConnectionEvent e : connectFrom(h, other, 1)) {
                assertEquals(unknown.uid, e.context().podUid());
                assertNull(e.context().pod(), "a pod the kubelet's logs do not name gets no names");
                assertTrue(!new String(EventJson.perThread().write(e)).contains("k8s_"));
            }
            assertTrue(h.tracer.processContext().pods().stats().misses() > before.misses(), "the miss is counted");
        }
    }

    @Test
    void aPodStartedAfterTheTracerIsNamedOnceTheKubeletWroteItsLogs() throws Exception {
        Files.createDirectories(logs.resolve("pods"));
        Pod late = newPod("batch", "report-28474815-abcde", "report");
        try (TracerHarness h = new TracerHarness(config());
                TestCgroup cgroup = new TestCgroup(mount, late.cgroup())) {
            kubeletLogs(late);
            // The first events may go out before the logs are read again (at most once a second).
            connectFrom(h, cgroup, 1);
            Thread.sleep(1100);
            connectFrom(h, cgroup, 1);
            Thread.sleep(200);
            List<ConnectionEvent> named = connectFrom(h, cgroup, 1);
            assertEquals("report-28474815-abcde", named.get(0).context().pod().podName());
            assertEquals("report", named.get(0).context().pod().containerName());
            assertEquals(1, h.tracer.processContext().pods().stats().pods());
        }
    }

    @Test
    void offWhereNoKubeletWritesPodLogs() throws Exception {
        try (TracerHarness h = new TracerHarness(TestConfig.defaults().with(c -> {
            c.setEvents("connect");
            c.setKubernetesLogDir(logs.resolve("nothing-here").toString());
        }))) {
            assertNull(h.tracer.processContext().pods(), "no pods/ directory: no lookups at all");
        }
    }
}
