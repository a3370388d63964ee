package io.tcptrace.process;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The network namespaces that have processes now, read from each /proc/[pid]/ns/net link
 * ({@code net:[INODE]}): the inode is the number the kernel program reads from a socket
 * ({@code net.ns.inum}). A namespace's own /proc/[pid]/net/tcp is read through any of its processes.
 */
public final class NetNamespaces {

    /**
     * @param members    namespace inode -> its processes, lowest pid first
     * @param unreadable processes whose namespace link was refused (another user's without
     *                   CAP_SYS_PTRACE): a namespace only they are in is not seen
     */
    public record Found(Map<Long, List<Integer>> members, int unreadable) {
    }

    private NetNamespaces() {
    }

    /** The network namespace (inode) of process {@code pid} ("self" for this one); 0 when unreadable. */
    public static long of(Path proc, String pid) {
        try {
            return ProcFs.linkInode(Files.readSymbolicLink(proc.resolve(pid).resolve("ns/net")).toString(), "net");
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    /** One pass over {@code proc}'s processes. */
    public static Found scan(Path proc) {
        Map<Long, List<Integer>> members = new TreeMap<>();
        int unreadable = 0;
        List<Integer> pids = new ArrayList<>(new ProcFs(proc, false, 0).pids());
        pids.sort(null);
        for (int pid : pids) {
            try {
                long inode = ProcFs.linkInode(Files.readSymbolicLink(proc.resolve(Integer.toString(pid)).resolve("ns/net"))
                        .toString(), "net");
                if (inode > 0) {
                    members.computeIfAbsent(inode, n -> new ArrayList<>()).add(pid);
                }
            } catch (AccessDeniedException e) {
                unreadable++;
            } catch (IOException | UnsupportedOperationException e) {
                // exited while we looked
            }
        }
        return new Found(members, unreadable);
    }
}
