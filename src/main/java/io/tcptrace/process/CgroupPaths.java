package io.tcptrace.process;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * cgroup id -> cgroup v2 path, parsed ({@link CgroupPath}). The id the kernel reports
 * (bpf_get_current_cgroup_id) is the inode number of the cgroup's directory under the cgroup2
 * mount, so the cache is filled by walking that tree.
 *
 * <p>On a miss: first the process's own /proc/PID/cgroup (one small read and one stat, checked
 * against the id), then, at most once per {@code rescanMillis}, a walk of the whole tree (new
 * containers and services appear there). Both run on the loader thread within the lookup budget.
 * An id that a walk did not find (a cgroup removed since, e.g. a stopped container's) triggers no
 * other walk for a minute, so its remaining events do not walk the tree again and again.
 * Bounded, least recently used out. Thread-safe.
 */
public final class CgroupPaths {
    private final Path mount;
    private final Path proc;
    private final int capacity;
    private final long rescanNanos;
    private final BoundedWait wait;
    private final LinkedHashMap<Long, CgroupPath> paths;
    private final LinkedHashMap<Long, Long> notFound = new LinkedHashMap<>();
    static final long NOT_FOUND_RETRY_NANOS = 60_000_000_000L;
    private long lastScan = Long.MIN_VALUE / 2;
    private long hits;
    private long misses;
    private long scans;

    /** Counters since start. */
    public record Stats(long hits, long misses, long scans, int size) {
    }

    CgroupPaths(Path mount, Path proc, int capacity, long rescanMillis, BoundedWait wait) {
        this.mount = mount;
        this.proc = proc;
        this.capacity = capacity;
        this.rescanNanos = rescanMillis * 1_000_000L;
        this.wait = wait;
        this.paths = new LinkedHashMap<>(16, 0.75f, true);
    }

    /**
     * The cgroup2 mount point from a /proc/mounts text: {@code /sys/fs/cgroup} on unified hosts,
     * {@code /sys/fs/cgroup/unified} on hybrid ones. Null when there is none (cgroup v1 only).
     */
    public static Path findMount(List<String> procMounts) {
        for (String line : procMounts) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("cgroup2")) {
                return Path.of(unescape(f[1]));
            }
        }
        return null;
    }

    public static Path findMount() {
        try {
            return findMount(Files.readAllLines(Path.of("/proc/mounts")));
        } catch (IOException e) {
            return null;
        }
    }

    /** /proc/mounts writes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
                continue;
            }
            b.append(c);
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }

    /** Walks the tree once now (at start). */
    public void scan() {
        synchronized (this) {
            lastScan = System.nanoTime();
            scans++;
        }
        if (mount == null) {
            return;
        }
        try {
            Files.walkFileTree(mount, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    long ino = inode(dir);
                    if (ino > 0) {
                        put(ino, "/" + mount.relativize(dir).toString());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;   // removed while walking
                }
            });
        } catch (IOException e) {
            // the mount vanished: nothing to learn
        }
    }

    /**
     * The path of cgroup {@code id}, or null when it cannot be found within the budget (counted
     * as a miss). {@code pid} (0 if unknown) lets a live process's own cgroup file answer first.
     */
    public CgroupPath get(long id, int pid) {
        synchronized (this) {
            CgroupPath p = paths.get(id);
            if (p != null) {
                hits++;
                return p;
            }
            misses++;
        }
        if (mount == null) {
            return null;
        }
        long asked = System.nanoTime();
        return wait.call(() -> resolve(id, pid, asked));
    }

    /**
     * Resolves {@code id} on the loader thread without anyone waiting: called when an exec record
     * shows a cgroup, so that the path is known before that process's connections are read.
     */
    public void prefetch(long id, int pid) {
        synchronized (this) {
            if (mount == null || paths.containsKey(id)) {
                return;
            }
        }
        long asked = System.nanoTime();
        wait.submit(() -> {
            try {
                resolve(id, pid, asked);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();   // the loader is stopping
            }
        }, () -> { });
    }

    private CgroupPath resolve(long id, int pid, long asked) throws InterruptedException {
        if (pid > 0) {
            CgroupPath viaProc = fromProc(id, pid);
            if (viaProc != null) {
                return viaProc;
            }
        }
        long pause;
        synchronized (this) {
            CgroupPath p = paths.get(id);
            if (p != null) {
                return p;   // an earlier lookup's walk found it meanwhile
            }
            long now = System.nanoTime();
            Long failedAt = notFound.get(id);
            if (failedAt != null && now - failedAt < NOT_FOUND_RETRY_NANOS) {
                return null;
            }
            if (lastScan - asked > 0) {
                return null;   // a walk that began after this question did not find it
            }
            pause = lastScan + rescanNanos - now;
        }
        if (pause > 0) {
            // On the loader thread only: the event that asked has gone on after its budget.
            Thread.sleep(pause / 1_000_000L, (int) (pause % 1_000_000L));
            synchronized (this) {
                if (lastScan - asked > 0) {
                    return paths.get(id);
                }
            }
        }
        long walkStarted = System.nanoTime();
        scan();
        synchronized (this) {
            CgroupPath p = paths.get(id);
            if (p == null) {
                notFound.put(id, walkStarted);
                if (notFound.size() > capacity) {
                    notFound.remove(notFound.keySet().iterator().next());
                }
            }
            return p;
        }
    }

    private CgroupPath fromProc(long id, int pid) {
        String rel = v2Path(proc, pid);
        if (rel != null && idOf(mount, rel) == id) {
            return put(id, rel.isEmpty() ? "/" : rel);
        }
        return null;   // the process or its cgroup is gone: fall back to the walk
    }

    /**
     * The cgroup id the kernel gives process {@code pid}'s tasks (bpf_get_current_cgroup_id): the
     * inode of its cgroup v2 directory under {@code mount}. 0 when it cannot be read (gone, a
     * cgroup other than the root with no cgroup2 mount to find it in, or one in another cgroup
     * namespace's view).
     */
    public static long idOf(Path mount, Path proc, int pid) {
        String rel = v2Path(proc, pid);
        if (rel == null) {
            return 0;
        }
        if (mount == null) {
            // Nothing to stat; the root cgroup's directory is its hierarchy's first inode, 1.
            return rel.equals("/") ? ROOT_ID : 0;
        }
        return Math.max(0, idOf(mount, rel));
    }

    /** The id of the cgroup v2 root: the inode number of the mount's root directory. */
    static final long ROOT_ID = 1;

    /** The path on the {@code 0::} line of /proc/PID/cgroup (the v2 hierarchy), or null. */
    private static String v2Path(Path proc, int pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Integer.toString(pid)).resolve("cgroup"))) {
                if (line.startsWith("0::")) {
                    return line.substring(3);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return null;
    }

    private static long idOf(Path mount, String rel) {
        return inode(mount.resolve(rel.startsWith("/") ? rel.substring(1) : rel));
    }

    private static long inode(Path dir) {
        try {
            return (Long) Files.getAttribute(dir, "unix:ino");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private synchronized CgroupPath put(long id, String path) {
        String p = path.equals("/") || path.isEmpty() ? "/" : path;
        CgroupPath parsed = paths.get(id);
        if (parsed == null || !parsed.path().equals(p)) {
            parsed = CgroupPath.parse(p);
            paths.put(id, parsed);
            if (paths.size() > capacity) {
                Map.Entry<Long, CgroupPath> eldest = paths.entrySet().iterator().next();
                paths.remove(eldest.getKey());
            }
        }
        return parsed;
    }

    /** The cgroup2 mount walked, or null when the host has none. */
    public Path mount() {
        return mount;
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, scans, paths.size());
    }
}
