package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.Libc;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.NetNamespaces;
import io.tcptrace.process.SocketOwners;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Finds the TCP connections that were already open when the probes attached, so they are reported
 * by update events and by their close like any other. /proc names each open socket's process (by
 * its inode); the kernel's TCP socket iterator (bpf/tcpconnect.bpf.c's {@code bpf_iter__tcp},
 * Linux 5.9+) then walks every TCP socket of one network namespace and puts the open ones that
 * the program does not track yet into its connection map, with that owner and counts from now.
 *
 * <p>A network iterator walks the namespace of the thread that creates it, so each namespace's
 * iterator is created from inside it (setns, which needs CAP_SYS_ADMIN; without it only the
 * tracer's own namespace is walked, and the line at start says how many were not). The namespace
 * hops happen on a thread made for them and ended after, so no pooled thread is ever left in
 * another namespace.
 */
final class OpenConnectionSeed {
    static final String PROGRAM = "bpf_iter__tcp";
    // TCP states of a connection still open, as /proc/net/tcp prints them
    private static final Set<String> OPEN_STATES = Set.of("01", "04", "05", "08", "09", "0B");

    /**
     * @param found      connections put in the connection map
     * @param namespaces network namespaces walked
     * @param notEntered namespaces not walked: entering them was refused (no CAP_SYS_ADMIN)
     * @param withOwner  open sockets whose process /proc named
     * @param ownersFull open sockets /proc named that did not fit the owners map (their events have no process)
     */
    record Result(int found, int namespaces, int notEntered, int withOwner, int ownersFull, long micros) {
    }

    private final Path proc;
    private final SocketOwners owners;

    OpenConnectionSeed(Path proc, Path cgroupMount) {
        this.proc = proc;
        this.owners = new SocketOwners(proc, cgroupMount);
    }

    static OpenConnectionSeed forThisHost() {
        return new OpenConnectionSeed(Path.of("/proc"), CgroupPaths.findMount());
    }

    /** Walks every namespace with a visible process ({@code perNamespace}), or only the tracer's own. */
    Result seed(int link, BpfMap conns, BpfMap seedOwners, boolean perNamespace) {
        long started = System.nanoTime();
        long own = NetNamespaces.of(proc, "self");
        Map<Long, List<Integer>> namespaces = perNamespace ? NetNamespaces.scan(proc).members()
                : Map.of(own, List.of((int) ProcessHandle.current().pid()));
        int[] named = nameOwners(namespaces, seedOwners);
        long before = conns.countKeys();
        AtomicInteger walked = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread hopper = new Thread(() -> {
            try {
                walk(link, namespaces, own, walked, refused);
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "tcptrace-open-connections");
        hopper.start();
        try {
            hopper.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BccException("interrupted while walking the open connections");
        } finally {
            seedOwners.clear();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        int found = (int) (conns.countKeys() - before);
        return new Result(Math.max(0, found), walked.get(), refused.get(), named[0], named[1],
                (System.nanoTime() - started) / 1000);
    }

    /** One iterator per namespace, each created from inside it; the thread returns home after each. */
    private void walk(int link, Map<Long, List<Integer>> namespaces, long own, AtomicInteger walked,
            AtomicInteger refused) {
        int home = Libc.open(proc.resolve("thread-self/ns/net").toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            for (Map.Entry<Long, List<Integer>> ns : namespaces.entrySet()) {
                if (ns.getKey() == own) {
                    BpfModule.iterate(BpfModule.newIterator(link));
                    walked.incrementAndGet();
                    continue;
                }
                int iterator = inside(ns.getValue(), link, home);
                if (iterator < 0) {
                    refused.incrementAndGet();
                    continue;
                }
                BpfModule.iterate(iterator);
                walked.incrementAndGet();
            }
        } finally {
            if (home >= 0) {
                Libc.closeFd(home);
            }
        }
    }

    /** An iterator created inside the namespace of the first of {@code pids} that can be entered; -1 if none. */
    private int inside(List<Integer> pids, int link, int home) {
        if (home < 0) {
            return -1;
        }
        for (int pid : pids) {
            int fd = Libc.open(proc.resolve(pid + "/ns/net").toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0) {
                continue;   // exited, or another user's without CAP_SYS_PTRACE
            }
            try {
                if (Libc.setns(fd, Libc.CLONE_NEWNET) != 0) {
                    return -1;   // CAP_SYS_ADMIN missing: every other namespace refuses too
                }
                try {
                    return BpfModule.newIterator(link);
                } finally {
                    if (Libc.setns(home, Libc.CLONE_NEWNET) != 0) {
                        throw new BccException("cannot return to the tracer's own network namespace");
                    }
                }
            } finally {
                Libc.closeFd(fd);
            }
        }
        return -1;
    }

    /** Writes the owner of every open TCP socket /proc shows into {@code seed_owners}; {written, not fitting}. */
    private int[] nameOwners(Map<Long, List<Integer>> namespaces, BpfMap seedOwners) {
        Set<Long> inodes = new HashSet<>();
        for (List<Integer> pids : namespaces.values()) {
            for (int pid : pids) {
                if (readOpen(proc.resolve(pid + "/net"), inodes)) {
                    break;
                }
            }
        }
        Map<Long, Integer> holders = owners.holders(inodes).pids();
        Map<Integer, byte[]> encoded = new HashMap<>();
        int named = 0;
        int full = 0;
        for (Map.Entry<Long, Integer> h : holders.entrySet()) {
            byte[] owner = encoded.computeIfAbsent(h.getValue(), pid -> {
                SocketOwners.Owner o = owners.owner(pid);
                return o == null ? null : ListenerSeed.encode(o);
            });
            if (owner != null) {
                switch (seedOwners.insertNew(inodeKey(h.getKey()), owner)) {
                    case INSERTED -> named++;
                    case FULL -> full++;
                    case EXISTS -> { }
                }
            }
        }
        return new int[] {named, full};
    }

    /** Adds the inodes of one namespace's open connections (tcp and tcp6); false if unreadable. */
    private static boolean readOpen(Path netDir, Set<Long> inodes) {
        try {
            for (String file : List.of("tcp", "tcp6")) {
                Path f = netDir.resolve(file);
                if (!Files.exists(f)) {
                    continue;
                }
                for (String line : Files.readAllLines(f)) {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                    String[] c = line.strip().split("\\s+");
                    if (c.length >= 10 && OPEN_STATES.contains(c[3])) {
                        try {
                            long inode = Long.parseLong(c[9]);
                            if (inode > 0) {
                                inodes.add(inode);
                            }
                        } catch (NumberFormatException e) {
                            // not a socket line
                        }
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static byte[] inodeKey(long inode) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(inode).array();
    }
}
