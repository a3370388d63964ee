package io.tcptrace.process;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which process holds a socket open, and who that process is, read from /proc: for listeners that
 * were opened before the tracer attached, whose owner the kernel program never saw.
 */
public final class SocketOwners {
    private final Path proc;
    private final Path cgroupMount;
    private final ProcFs procFs;

    /**
     * The owner's fields as the BPF helpers would give them in one of its tasks.
     *
     * @param comm at most 15 bytes, as bpf_get_current_comm() copies them before the NUL
     */
    public record Owner(int pid, long uid, byte[] comm, long cgroupId) {
    }

    /** {@code cgroupMount}: the cgroup2 mount ({@link CgroupPaths#findMount()}), null when there is none. */
    public SocketOwners(Path proc, Path cgroupMount) {
        this.proc = proc;
        this.cgroupMount = cgroupMount;
        this.procFs = new ProcFs(proc, false, 0);
    }

    /**
     * The process holding each socket asked for, and how many processes' fds could not be read.
     *
     * @param pids       socket inode -> pid
     * @param unreadable processes whose fd links were refused: another user's without
     *                   CAP_SYS_PTRACE (the least-privilege unit leaves it out), or one the
     *                   kernel hides for other reasons
     */
    public record Holders(Map<Long, Integer> pids, int unreadable) {
    }

    /**
     * The process holding each of {@code inodes}, found in one pass over every /proc/[pid]/fd.
     * A socket shared by several processes (a pre-fork server's workers inherit the listener)
     * goes to the lowest pid, usually the parent that opened it. Sockets no visible process
     * holds (kernel sockets, processes of another pid namespace) are absent.
     */
    public Holders holders(Set<Long> inodes) {
        Map<Long, Integer> holders = new HashMap<>();
        int unreadable = 0;
        if (inodes.isEmpty()) {
            return new Holders(holders, 0);
        }
        for (int pid : procFs.pids()) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(Integer.toString(pid)).resolve("fd"))) {
                for (Path fd : fds) {
                    long inode = socketInode(fd);
                    if (inode > 0 && inodes.contains(inode)) {
                        holders.merge(inode, pid, Math::min);
                    }
                }
            } catch (AccessDeniedException e) {
                unreadable++;
            } catch (IOException | SecurityException e) {
                // exited while we looked: its sockets are closed or held by another process
            }
        }
        return new Holders(holders, unreadable);
    }

    /**
     * The inode of a {@code socket:[INODE]} fd link; 0 for any other fd or one closed meanwhile.
     * A link we may not read (the directory listing may be allowed by CAP_DAC_READ_SEARCH, the
     * link needs ptrace access) throws AccessDeniedException, once for the whole process.
     */
    private static long socketInode(Path fd) throws AccessDeniedException {
        String target;
        try {
            target = Files.readSymbolicLink(fd).toString();
        } catch (AccessDeniedException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
        return ProcFs.linkInode(target, "socket");
    }

    /** Who process {@code pid} is; null when it has exited. */
    public Owner owner(int pid) {
        long uid = procFs.uid(pid);
        byte[] comm = procFs.commBytes(pid);
        if (uid < 0 || comm == null) {
            return null;
        }
        return new Owner(pid, uid, comm, CgroupPaths.idOf(cgroupMount, proc, pid));
    }
}
