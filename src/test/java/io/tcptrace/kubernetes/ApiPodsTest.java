package io.tcptrace.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * This node's pods from the API server, against fabric8's mock API server in CRUD mode (no
 * Kubernetes runs on these machines: what is tested here is the informer's handling and the
 * workload rules, against the mock's implementation of the API, not a real API server). The mock
 * does not implement the field selector {@code spec.nodeName} (it answers no pods to it): one test
 * checks that the watch asks for it, the others watch every pod and rely on the client-side node
 * check that also guards against a server ignoring the selector.
 */
@EnableKubernetesMockClient(crud = true)
class ApiPodsTest {
    static final String NODE = "node-1";
    KubernetesMockServer server;
    KubernetesClient client;
    ApiPods pods;
    @TempDir
    Path logs;

    @AfterEach
    void close() {
        if (pods != null) {
            pods.close();
        }
    }

    static String hex64() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static Pod pod(String ns, String name, String node, String containerId, String ownerKind, String ownerName,
            String templateHash) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name)
                .withUid(UUID.randomUUID().toString()).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("app").withImage("app:1").endContainer()
                .endSpec();
        if (ownerKind != null) {
            b.editMetadata().addNewOwnerReference().withApiVersion("apps/v1").withKind(ownerKind).withName(ownerName)
                    .withUid(UUID.randomUUID().toString()).withController(true).endOwnerReference().endMetadata();
        }
        if (templateHash != null) {
            b.editMetadata().addToLabels("pod-template-hash", templateHash).endMetadata();
        }
        if (containerId != null) {
            b.withNewStatus().withContainerStatuses(new ContainerStatusBuilder().withName("app")
                    .withContainerID("containerd://" + containerId).withReady(true).build()).endStatus();
        }
        return b.build();
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 200 && !condition.getAsBoolean(); i++) {
            Thread.sleep(25);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    @Test
    void namesAndWorkloadsOfThisNodesPods() throws Exception {
        String webId = hex64();
        String dbId = hex64();
        Pod web = client.pods().resource(pod("shop", "web-7d4b9c-x2x9z", NODE, webId, "ReplicaSet", "web-7d4b9c",
                "7d4b9c")).create();
        client.pods().resource(pod("shop", "db-0", NODE, dbId, "StatefulSet", "db", null)).create();
        Pod bare = client.pods().resource(pod("tools", "debug", NODE, hex64(), null, null, null)).create();
        Pod rs = client.pods().resource(pod("shop", "legacy-abc", NODE, hex64(), "ReplicaSet", "legacy", "f00")).create();
        Pod elsewhere = client.pods().resource(pod("shop", "web-7d4b9c-other", "node-2", hex64(), "ReplicaSet",
                "web-7d4b9c", "7d4b9c")).create();

        pods = ApiPods.start(client, NODE, 100, false);
        await(() -> pods.pods() == 4, "this node's four pods, and not the other node's");
        assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", "app", "Deployment", "web", NODE), pods.byContainer(webId),
                "a Deployment through its ReplicaSet and the pod-template-hash");
        assertEquals(new PodMetadata("shop", "db-0", "app", "StatefulSet", "db", NODE), pods.byContainer(dbId));
        assertEquals(new PodMetadata("tools", "debug", null, null, null, NODE), pods.byPod(bare.getMetadata().getUid()),
                "a pod of its own has no workload");
        assertEquals("ReplicaSet", pods.byPod(rs.getMetadata().getUid()).workloadKind(),
                "a ReplicaSet whose name does not end in the hash is itself the workload");
        assertNull(pods.byPod(elsewhere.getMetadata().getUid()), "another node's pod");
        assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", null, "Deployment", "web", NODE),
                pods.byPod(web.getMetadata().getUid()));
        assertTrue(pods.watching());

        // A restarted container has a new id; a deleted pod goes.
        String restarted = hex64();
        client.pods().inNamespace("shop").withName("web-7d4b9c-x2x9z").edit(p -> new PodBuilder(p).editStatus()
                .editFirstContainerStatus().withContainerID("containerd://" + restarted).endContainerStatus()
                .endStatus().build());
        await(() -> pods.byContainer(restarted) != null, "the new container id");
        assertNull(pods.byContainer(webId), "the old container id is gone");
        client.pods().inNamespace("shop").withName("db-0").delete();
        await(() -> pods.byContainer(dbId) == null, "the deleted pod's container");
        assertEquals(3, pods.pods());
    }

    @Test
    void theApiWinsAndLendsItsWorkloadToTheLogsNames() throws Exception {
        String id = hex64();
        Pod web = client.pods().resource(pod("shop", "web-7d4b9c-x2x9z", NODE, null, "ReplicaSet", "web-7d4b9c",
                "7d4b9c")).create();
        String uid = web.getMetadata().getUid();
        Files.createDirectories(logs.resolve("pods/shop_web-7d4b9c-x2x9z_" + uid + "/app"));
        Files.createDirectories(logs.resolve("containers"));
        Files.createFile(logs.resolve("containers/web-7d4b9c-x2x9z_shop_app-" + id + ".log"));

        pods = ApiPods.start(client, NODE, 100, false);
        await(() -> pods.pods() == 1, "the pod");
        PodDirectory directory = PodDirectory.open(new KubeletLogs(logs, 100, NODE), pods, Runnable::run);
        // The API does not know the container yet (no status): the logs name it, the API adds the workload.
        assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", "app", "Deployment", "web", NODE),
                directory.lookup(id, uid));
        assertEquals(1, directory.stats().hits());
        assertTrue(directory.stats().apiWatching());
    }

    @Test
    void theWatchAsksTheServerForThisNodesPodsOnly() throws Exception {
        pods = ApiPods.start(client, NODE, 100);
        await(pods::watching, "the informer synced");
        boolean asked = false;
        for (int i = server.getRequestCount(); i > 0; i--) {
            String path = java.net.URLDecoder.decode(server.takeRequest().getPath(), java.nio.charset.StandardCharsets.UTF_8);
            asked |= path.startsWith("/api/v1/pods?") && path.contains("fieldSelector=spec.nodeName=" + NODE);
        }
        assertTrue(asked, "the list and watch carry fieldSelector=spec.nodeName=" + NODE);
    }

    @Test
    void containerIdsAsRuntimesWriteThem() {
        String id = hex64();
        assertEquals(id, ApiPods.containerId("containerd://" + id));
        assertEquals(id, ApiPods.containerId("cri-o://" + id));
        assertNull(ApiPods.containerId(""));
        assertNull(ApiPods.containerId("containerd://short"));
        assertNull(ApiPods.containerId(null));
    }
}
