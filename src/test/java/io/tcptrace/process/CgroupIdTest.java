package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CgroupPaths#idOf}: a process's cgroup id from /proc/PID/cgroup, with and without a cgroup2 mount. */
class CgroupIdTest {
    @Test
    void idIsTheInodeOfTheCgroupDirectory(@TempDir Path tmp) throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("cgroup2"));
        Path dir = Files.createDirectories(mount.resolve("system.slice/nginx.service"));
        Path proc = tmp.resolve("proc");
        write(proc, 42, "1:name=systemd:/system.slice/nginx.service\n0::/system.slice/nginx.service\n");
        write(proc, 43, "0::/system.slice/gone.service\n");
        write(proc, 44, "1:name=systemd:/\n");   // cgroup v1 only
        assertEquals((Long) Files.getAttribute(dir, "unix:ino"), CgroupPaths.idOf(mount, proc, 42));
        assertEquals(0, CgroupPaths.idOf(mount, proc, 43), "its cgroup was removed");
        assertEquals(0, CgroupPaths.idOf(mount, proc, 44));
        assertEquals(0, CgroupPaths.idOf(mount, proc, 45), "no such process");
        assertEquals(0, CgroupPaths.idOf(null, proc, 42), "no mount to find a cgroup in");
    }

    @Test
    void withoutAMountTheRootCgroupHasTheIdTheKernelGivesIt(@TempDir Path tmp) throws Exception {
        Path proc = tmp.resolve("proc");
        write(proc, 42, "0::/\n");
        assertEquals(CgroupPaths.ROOT_ID, CgroupPaths.idOf(null, proc, 42));
        // The same number the running kernel's root cgroup has, where a cgroup2 mount shows it.
        Path mount = CgroupPaths.findMount();
        if (mount != null) {
            assertEquals(CgroupPaths.ROOT_ID, (Long) Files.getAttribute(mount, "unix:ino"));
            assertEquals(CgroupPaths.ROOT_ID, CgroupPaths.idOf(mount, proc, 42));
        }
    }

    private static void write(Path proc, int pid, String cgroup) throws Exception {
        Files.writeString(Files.createDirectories(proc.resolve(Integer.toString(pid))).resolve("cgroup"), cgroup);
    }
}
