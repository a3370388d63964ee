package io.tcptrace.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SocketOwners} on a /proc laid out as Linux lays it out: fd links, status, comm, cgroup. */
class SocketOwnersTest {
    @Test
    void aSharedSocketGoesToTheLowestPid(@TempDir Path proc) throws Exception {
        fd(proc, 900, 3, "socket:[5001]");   // a pre-fork worker
        fd(proc, 812, 4, "socket:[5001]");   // its parent, which opened the listener
        fd(proc, 812, 5, "socket:[5002]");
        fd(proc, 812, 6, "/var/log/nginx/access.log");
        fd(proc, 950, 7, "socket:[6000]");   // a socket nobody asked about
        SocketOwners.Holders h = new SocketOwners(proc, null).holders(Set.of(5001L, 5002L, 5003L));
        assertEquals(Map.of(5001L, 812, 5002L, 812), h.pids());
        assertEquals(0, h.unreadable());
    }

    @Test
    void ownerFieldsAreTheOnesTheBpfHelpersGive(@TempDir Path proc) throws Exception {
        Path dir = Files.createDirectories(proc.resolve("812"));
        Files.writeString(dir.resolve("status"), "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n"
                + "Pid:\t812\nPPid:\t1\nTracerPid:\t0\nUid:\t33\t0\t0\t0\nGid:\t33\t33\t33\t33\n");
        Files.writeString(dir.resolve("comm"), "a-very-long-name-cut\n");   // the kernel keeps 15 bytes
        Files.writeString(dir.resolve("cgroup"), "0::/\n");
        SocketOwners.Owner o = new SocketOwners(proc, null).owner(812);
        assertEquals(812, o.pid());
        assertEquals(33, o.uid(), "the real uid, the first field");
        assertArrayEquals("a-very-long-nam".getBytes(StandardCharsets.UTF_8), o.comm());
        assertEquals(CgroupPaths.ROOT_ID, o.cgroupId());
        assertNull(new SocketOwners(proc, null).owner(813), "gone");
    }

    private static void fd(Path proc, int pid, int fd, String target) throws Exception {
        Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)).resolve("fd"));
        Files.createSymbolicLink(dir.resolve(Integer.toString(fd)), Path.of(target));
    }
}
