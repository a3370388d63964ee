package io.tcptrace.kernel;

import io.tcptrace.bcc.BpfMap;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.NetNamespaces;
import io.tcptrace.process.SocketOwners;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the BPF program's {@code listeners} map ((network namespace, local port) -> struct owner_t)
 * with the listening sockets that were open before the probes attached. The program learns a
 * listener's owner only when the socket moves to LISTEN; without this, every connection accepted
 * by a server started before tcptrace (the usual case) had no process, and the kernel's pid and
 * uid filters could not apply to it.
 *
 * <p>Every network namespace that has a process is read, through that process's
 * /proc/[pid]/net/tcp and tcp6, so two containers listening on one port each get their own
 * owner. Where the kernel's BTF cannot name a socket's namespace the program keys by port alone
 * (namespace 0), and only the tracer's own namespace is read.
 *
 * <p>Runs after attaching, so a listener opened during the scan is learnt by the program, and
 * inserts with BPF_NOEXIST, so what the program learnt is never replaced by the older view of
 * /proc. Never fails the start: an unreadable /proc is one WARN and no seed.
 */
final class ListenerSeed {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerSeed.class);

    // struct owner_t and struct listener_key_t in bpf/tcpconnect.bpf.c, little endian;
    // RecordLayoutTest checks these against its _Static_asserts.
    static final int OWNER_SIZE = 40;
    static final int OWNER_CGROUP_ID = 0;
    static final int OWNER_PID = 8;
    static final int OWNER_TID = 12;
    static final int OWNER_UID = 16;
    static final int OWNER_COMM = 20;
    static final int KEY_SIZE = 8;
    static final int KEY_NETNS = 0;
    static final int KEY_PORT = 4;

    /**
     * What a seed did, by (namespace, listening port).
     *
     * @param seeded       inserted into the map
     * @param alreadyKnown left alone: the program had learnt the port itself
     * @param withoutOwner no visible process holds the socket (kernel sockets, another pid namespace)
     * @param mapFull      not inserted: the map was at its max_entries
     * @param unreadable   processes whose fds or namespace could not be read (another user's, without CAP_SYS_PTRACE)
     * @param namespaces   network namespaces read
     */
    record Result(int seeded, int alreadyKnown, int withoutOwner, int mapFull, int unreadable, int namespaces,
            long micros) {
    }

    /** A listening port of one network namespace (0: keyed by port alone). */
    private record NsPort(long netns, int port) implements Comparable<NsPort> {
        @Override
        public int compareTo(NsPort o) {
            return netns != o.netns ? Long.compare(netns, o.netns) : Integer.compare(port, o.port);
        }
    }

    private final Path proc;
    private final SocketOwners owners;

    ListenerSeed(Path proc, Path cgroupMount) {
        this.proc = proc;
        this.owners = new SocketOwners(proc, cgroupMount);
    }

    /**
     * Seeds from this host's /proc and logs one line; null when it could not (logged as a WARN).
     * {@code perNamespace}: the program keys listeners by namespace (it can read a socket's).
     */
    static Result seedFromProc(BpfMap listeners, boolean perNamespace) {
        try {
            if (listeners.keySize() != KEY_SIZE || listeners.valueSize() != OWNER_SIZE) {
                LOG.warn("listeners map has {}-byte keys and {}-byte values, not {} and {} (struct listener_key_t, "
                        + "struct owner_t): listeners opened before the start stay without a process",
                        listeners.keySize(), listeners.valueSize(), KEY_SIZE, OWNER_SIZE);
                return null;
            }
            Result r = new ListenerSeed(Path.of("/proc"), CgroupPaths.findMount()).seed(listeners, perNamespace);
            LOG.info("seeded {} listening ports in {} network namespace{} from /proc ({} without an owner{}{}{}) in {} ms",
                    r.seeded(), r.namespaces(), r.namespaces() == 1 ? "" : "s",
                    r.withoutOwner(), r.alreadyKnown() > 0 ? ", " + r.alreadyKnown() + " already known" : "",
                    r.mapFull() > 0 ? ", " + r.mapFull() + " not seeded: the listeners map is full ("
                            + listeners.maxEntries() + " ports)" : "",
                    r.unreadable() > 0 ? "; the open files or namespace of " + r.unreadable() + " processes could"
                            + " not be read: another user's need CAP_SYS_PTRACE" : "",
                    String.format(Locale.ROOT, "%.1f", r.micros() / 1000.0));
            return r;
        } catch (IOException | RuntimeException e) {
            LOG.warn("listeners opened before the start stay without a process: cannot seed them from /proc: {}",
                    e.toString());
            return null;
        }
    }

    Result seed(BpfMap listeners, boolean perNamespace) throws IOException {
        long started = System.nanoTime();
        Map<NsPort, Set<Long>> sockets = new TreeMap<>();
        int unreadable = 0;
        int namespaces;
        if (perNamespace) {
            NetNamespaces.Found found = NetNamespaces.scan(proc);
            unreadable += found.unreadable();
            namespaces = 0;
            for (Map.Entry<Long, List<Integer>> ns : found.members().entrySet()) {
                if (readNamespace(ns.getKey(), ns.getValue(), sockets)) {
                    namespaces++;
                }
            }
        } else {
            add(0, proc.resolve("net"), sockets);
            namespaces = 1;
        }
        Set<Long> inodes = new HashSet<>();
        sockets.values().forEach(inodes::addAll);
        SocketOwners.Holders holders = owners.holders(inodes);
        unreadable += holders.unreadable();
        int seeded = 0;
        int known = 0;
        int orphans = 0;
        int full = 0;
        for (Map.Entry<NsPort, Set<Long>> port : sockets.entrySet()) {
            SocketOwners.Owner owner = owner(port.getValue(), holders.pids());
            if (owner == null) {
                orphans++;
                continue;
            }
            switch (listeners.insertNew(key(port.getKey().netns(), port.getKey().port()), encode(owner))) {
                case INSERTED -> seeded++;
                case EXISTS -> known++;
                case FULL -> full++;
            }
        }
        return new Result(seeded, known, orphans, full, unreadable, namespaces, (System.nanoTime() - started) / 1000);
    }

    /**
     * The listeners of one namespace, through the first of its processes whose /proc/[pid]/net
     * can be read (one may exit meanwhile); false when none could.
     */
    private boolean readNamespace(long netns, List<Integer> pids, Map<NsPort, Set<Long>> sockets) {
        for (int pid : pids) {
            try {
                add(netns, proc.resolve(Integer.toString(pid)).resolve("net"), sockets);
                return true;
            } catch (IOException e) {
                // gone, or refused: try another process of the namespace
            }
        }
        return false;
    }

    private static void add(long netns, Path netDir, Map<NsPort, Set<Long>> sockets) throws IOException {
        Map<Integer, Set<Long>> ports = new TreeMap<>();
        ListeningSockets.parse(Files.readAllLines(netDir.resolve("tcp")), ports);
        Path tcp6 = netDir.resolve("tcp6");
        if (Files.exists(tcp6)) {   // absent on a kernel without IPv6
            ListeningSockets.parse(Files.readAllLines(tcp6), ports);
        }
        ports.forEach((port, inodes) -> sockets.computeIfAbsent(new NsPort(netns, port), k -> new HashSet<>())
                .addAll(inodes));
    }

    /** The lowest pid holding any of the port's sockets (v4 and v6 alike), as it is now; null if none. */
    private SocketOwners.Owner owner(Set<Long> inodes, Map<Long, Integer> holders) {
        int pid = Integer.MAX_VALUE;
        for (long inode : inodes) {
            pid = Math.min(pid, holders.getOrDefault(inode, Integer.MAX_VALUE));
        }
        return pid == Integer.MAX_VALUE ? null : owners.owner(pid);
    }

    /** struct listener_key_t: the namespace's inode (u32) and the port, host order. */
    static byte[] key(long netns, int port) {
        return ByteBuffer.allocate(KEY_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(KEY_NETNS, (int) netns)
                .putShort(KEY_PORT, (short) port).array();
    }

    /**
     * struct owner_t as the program's current_owner() fills it. /proc shows processes, not the
     * thread that called listen(): tid is the main thread's (tid = pid).
     */
    static byte[] encode(SocketOwners.Owner o) {
        ByteBuffer b = ByteBuffer.allocate(OWNER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(OWNER_CGROUP_ID, o.cgroupId());
        b.putInt(OWNER_PID, o.pid());
        b.putInt(OWNER_TID, o.pid());
        b.putInt(OWNER_UID, (int) o.uid());
        b.put(OWNER_COMM, o.comm(), 0, Math.min(o.comm().length, 15));   // the rest stays 0: NUL-terminated
        return b.array();
    }
}
