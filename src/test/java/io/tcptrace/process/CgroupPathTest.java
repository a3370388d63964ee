package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The layouts that container runtimes and systemd actually create, systemd and cgroupfs drivers. */
class CgroupPathTest {
    private static final String ID = "4f1c2b7e9a0d3c5b8e6f7a1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b";
    private static final String UID = "8f3a1c2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b";
    private static final String UID_ = UID.replace('-', '_');

    private static void check(String path, String service, String container, String pod) {
        CgroupPath p = CgroupPath.parse(path);
        assertEquals(path, p.path());
        assertEquals(service, p.service(), "service of " + path);
        assertEquals(container, p.containerId(), "container of " + path);
        assertEquals(pod, p.podUid(), "pod of " + path);
    }

    @Test
    void systemdServices() {
        check("/system.slice/nginx.service", "nginx.service", null, null);
        check("/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service", null, null);
        check("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope",
                "user@1000.service", null, null);
        check("/user.slice/user-1000.slice/user@1000.service/app.slice/pipewire.service", "pipewire.service",
                null, null);
        check("/user.slice/user-1000.slice/session-3.scope", null, null, null);
        check("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", null, null);
        check("/", null, null, null);
        check("/init.scope", null, null, null);
    }

    @Test
    void docker() {
        check("/system.slice/docker-" + ID + ".scope", null, ID, null);   // systemd driver
        check("/docker/" + ID, null, ID, null);                             // cgroupfs driver
        check("/system.slice/docker.service", "docker.service", null, null); // the daemon itself
    }

    @Test
    void podman() {
        check("/machine.slice/libpod-" + ID + ".scope", null, ID, null);
        check("/machine.slice/libpod-conmon-" + ID + ".scope", null, null, null);   // the monitor
        check("/libpod_parent/libpod-" + ID, null, ID, null);                        // cgroupfs
        check("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID + ".scope", null, ID, null);
        check("/machine.slice/libpod-" + ID + ".scope/container", null, ID, null);   // nested init
    }

    @Test
    void kubernetesWithContainerd() {
        check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-"
                + ID + ".scope", null, ID, UID);
        check("/kubepods.slice/kubepods-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope", null, ID, UID);
        check("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice", null, null, UID);
        check("/kubepods/burstable/pod" + UID + "/" + ID, null, ID, UID);                 // cgroupfs
        check("/kubepods/pod" + UID + "/" + ID, null, ID, UID);                           // guaranteed, cgroupfs
        check("/system.slice/containerd.service/kubepods-burstable-pod" + UID_ + ".slice:cri-containerd:" + ID,
                null, ID, UID);
        check("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
                + "kubelet-kubepods-besteffort-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope", null, ID, UID);
        // a static pod's uid is a 32-hex hash
        check("/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" + ID, null, ID,
                "0123456789abcdef0123456789abcdef");
    }

    @Test
    void kubernetesWithCriO() {
        check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/crio-" + ID
                + ".scope", null, ID, UID);
        check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/crio-conmon-" + ID
                + ".scope", null, null, UID);
        check("/kubepods/burstable/pod" + UID + "/crio-" + ID, null, ID, UID);             // cgroupfs
    }

    @Test
    void notContainers() {
        check("/system.slice/foo-" + ID + ".scope", null, null, null);     // an unknown prefix is not guessed at
        check("/system.slice/" + ID.substring(1) + ".scope", null, null, null);   // 63 hex
        check("/pod" + UID + "/x", null, null, null);                       // pod only under kubepods
    }

    @Test
    void mountFromProcMounts() {
        assertEquals("/sys/fs/cgroup/unified", CgroupPaths.findMount(List.of(
                "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
                "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0",
                "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0")).toString());
        assertEquals("/sys/fs/cgroup", CgroupPaths.findMount(List.of(
                "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0")).toString());
        assertEquals("/mnt/my cgroup", CgroupPaths.findMount(List.of(
                "none /mnt/my\\040cgroup cgroup2 rw 0 0")).toString());
        assertNull(CgroupPaths.findMount(List.of("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0")));
    }
}
