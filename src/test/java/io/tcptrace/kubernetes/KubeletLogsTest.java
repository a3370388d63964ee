package io.tcptrace.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet's log directory names, read as the kubelet writes them. */
class KubeletLogsTest {
    static final String ID = "0123456789abcdef".repeat(4);
    static final String ID2 = "fedcba9876543210".repeat(4);

    @TempDir
    Path root;

    @Test
    void namesFromBothDirectories() throws Exception {
        Files.createDirectories(root.resolve("pods/kube-system_etcd-node.example.com_8c4b1b2a9d0e4f5a6b7c8d9e0f1a2b3c"));
        Files.createDirectories(root.resolve("pods/shop_web-7d4b9c-x2x9z_0f8e2b1c-3d4a-4b5c-8d6e-7f8091a2b3c4"));
        Files.createDirectories(root.resolve("pods/not a pod dir"));
        Files.createDirectories(root.resolve("containers"));
        Files.createFile(root.resolve("containers/web-7d4b9c-x2x9z_shop_istio-proxy-" + ID + ".log"));
        Files.createFile(root.resolve("containers/etcd-node.example.com_kube-system_etcd-" + ID2 + ".log"));
        Files.createFile(root.resolve("containers/web_shop_app-tooshort.log"));

        KubeletLogs.Snapshot s = new KubeletLogs(root, 100, "node-1").read();
        assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", "istio-proxy", null, null, "node-1"),
                s.byContainer().get(ID), "a container name with a dash");
        assertEquals(new PodMetadata("kube-system", "etcd-node.example.com", "etcd", null, null, "node-1"),
                s.byContainer().get(ID2), "a static pod's name with dots");
        assertEquals(new PodMetadata("shop", "web-7d4b9c-x2x9z", null, null, null, "node-1"),
                s.byPod().get("0f8e2b1c-3d4a-4b5c-8d6e-7f8091a2b3c4"));
        assertEquals("etcd-node.example.com", s.byPod().get("8c4b1b2a9d0e4f5a6b7c8d9e0f1a2b3c").podName(),
                "a static pod's 32-hex uid");
        assertEquals(2, s.byPod().size(), "other names are not pods");
        assertEquals(2, s.byContainer().size());
        assertEquals(0, s.dropped());
    }

    @Test
    void theBoundDropsAndCounts() throws Exception {
        for (int i = 0; i < 5; i++) {
            Files.createDirectories(root.resolve("pods/ns_pod-" + i + "_0f8e2b1c-3d4a-4b5c-8d6e-7f8091a2b3c" + i));
        }
        KubeletLogs.Snapshot s = new KubeletLogs(root, 3, null).read();
        assertEquals(3, s.byPod().size());
        assertEquals(2, s.dropped());
    }

    @Test
    void presentOnlyWithAPodsDirectory() throws Exception {
        assertFalse(new KubeletLogs(root, 10, null).present());
        Files.createDirectories(root.resolve("pods"));
        assertTrue(new KubeletLogs(root, 10, null).present());
    }
}
