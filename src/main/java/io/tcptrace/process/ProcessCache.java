package io.tcptrace.process;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * pid -> what is known about the process, learnt from the kernel's exec/fork/exit records, and
 * from /proc for processes that existed before the tracer started (read once, {@link #fillFromProc()})
 * or that were missed.
 *
 * <p>Bounded: when full, a process that has exited is evicted first (oldest exit first), then the
 * least recently used one. An exited process is kept until then, because its last connections'
 * close events are written after its exit record.
 *
 * <p>A lookup that misses is counted, then /proc is read for it on the loader thread, within the
 * lookup budget and at most {@code procReadsPerSecond} times a second; what does not fit is
 * counted and the event goes out without the process's context.
 *
 * <p>Thread-safe: records arrive on the kernel reader's thread, /proc results on the loader thread.
 */
public final class ProcessCache {
    private final int capacity;
    private final ProcFs procFs;
    private final BoundedWait wait;
    private final RateLimit procReads;
    private final LinkedHashMap<Integer, Entry> entries;
    private final Set<Integer> exited = new LinkedHashSet<>();
    private final Set<Integer> loading = new java.util.HashSet<>();
    private long hits;
    private long misses;
    private long evictions;
    private long procLoaded;
    private long procSkipped;

    /**
     * Counters since start. {@code procSkipped}: misses for which /proc was not read (over the
     * rate, a read in flight, or known to be gone).
     */
    public record Stats(long hits, long misses, long evictions, long procLoaded, long procSkipped, int size) {
    }

    private static final class Entry {
        final ProcessInfo info;
        boolean exited;

        Entry(ProcessInfo info) {
            this.info = info;
        }
    }

    ProcessCache(int capacity, ProcFs procFs, BoundedWait wait, RateLimit procReads) {
        this.capacity = capacity;
        this.procFs = procFs;
        this.wait = wait;
        this.procReads = procReads;
        this.entries = new LinkedHashMap<>(Math.min(capacity, 1 << 16) * 4 / 3 + 1, 0.75f, true);
    }

    /** Reads every process in /proc once, up to the capacity. Returns how many were added. */
    public int fillFromProc() {
        int added = 0;
        for (int pid : procFs.pids()) {
            synchronized (this) {
                if (entries.size() >= capacity) {
                    break;
                }
                if (entries.containsKey(pid)) {
                    continue;
                }
            }
            ProcessInfo info = procFs.read(pid);
            if (info != null && putIfAbsent(info)) {
                added++;
            }
        }
        return added;
    }

    /** The process, or null when it is not known (the miss is counted). Waits at most the budget. */
    public ProcessInfo get(int pid) {
        synchronized (this) {
            Entry e = entries.get(pid);
            if (e != null && e.info != null) {
                hits++;
                return e.info;
            }
            misses++;
            if (e != null || loading.contains(pid) || !procReads.tryAcquire()) {
                procSkipped++;   // known to be gone, already being read, or over the rate
                return null;
            }
            loading.add(pid);
        }
        return wait.call(() -> load(pid), () -> doneLoading(pid));
    }

    private synchronized void doneLoading(int pid) {
        loading.remove(pid);
    }

    private ProcessInfo load(int pid) {
        ProcessInfo info = procFs.read(pid);
        synchronized (this) {
            loading.remove(pid);
            if (info == null) {
                // gone: remember that, so its remaining events do not read /proc again
                if (!entries.containsKey(pid)) {
                    insert(pid, new Entry(null)).exited = true;
                    exited.add(pid);
                }
                return null;
            }
            procLoaded++;
            Entry e = entries.get(pid);
            if (e != null && e.info != null) {
                return e.info;   // a kernel record arrived meanwhile: it is newer
            }
            insert(pid, new Entry(info));
            return info;
        }
    }

    /**
     * A new program in {@code pid}. Its parent comes from the fork record; when there was none
     * (forked before the tracer started), or the kernel could not keep the arguments, /proc
     * completes the entry.
     */
    void exec(int pid, String path, String cmdline, String comm, boolean completeFromProc) {
        int ppid = 0;
        synchronized (this) {
            Entry old = entries.get(pid);
            String parentName = null;
            if (old != null && old.info != null) {
                ppid = old.info.parentPid();
                parentName = old.info.parentName();
            }
            insert(pid, new Entry(new ProcessInfo(pid, path, cmdline, comm, ppid, parentName,
                    ProcessInfo.Source.EXEC)));
        }
        if (ppid == 0 || completeFromProc) {
            completeLater(pid);
        }
    }

    /**
     * An exec whose fork happened before the tracer started, or whose arguments the kernel could
     * not keep: complete parent and command line from /proc (rate-limited, on the loader thread,
     * without waiting for it).
     */
    private void completeLater(int pid) {
        if (!procReads.tryAcquire()) {
            synchronized (this) {
                procSkipped++;
            }
            return;
        }
        // no waiting: the reader thread goes on, the entry is completed when /proc answers
        wait.submit(() -> {
            ProcessInfo proc = procFs.read(pid);
            if (proc != null) {
                complete(pid, proc);
            }
        }, () -> { });
    }

    private synchronized void complete(int pid, ProcessInfo proc) {
        Entry e = entries.get(pid);
        if (e == null || e.info == null || e.info.source() != ProcessInfo.Source.EXEC) {
            return;
        }
        ProcessInfo i = e.info;
        procLoaded++;
        boolean pathFromProc = proc.path() != null && (i.path() == null || i.path().charAt(0) != '/');
        ProcessInfo merged = new ProcessInfo(pid, pathFromProc ? proc.path() : i.path(),
                i.cmdline() != null ? i.cmdline() : proc.cmdline(), i.name(),
                i.parentPid() != 0 ? i.parentPid() : proc.parentPid(),
                i.parentName() != null ? i.parentName() : proc.parentName(), ProcessInfo.Source.EXEC);
        Entry replaced = new Entry(merged);
        replaced.exited = e.exited;
        entries.put(pid, replaced);
    }

    /** {@code parentPid} forked the new process {@code childPid}; the child runs the parent's program. */
    synchronized void fork(int parentPid, int childPid, String parentComm) {
        Entry parent = entries.get(parentPid);
        ProcessInfo child = parent != null && parent.info != null
                ? parent.info.forkedAs(childPid, parentComm)
                : new ProcessInfo(childPid, null, null, parentComm, parentPid, parentComm, ProcessInfo.Source.FORK);
        insert(childPid, new Entry(child));
    }

    /** The process has exited: it is evicted first when room is needed. */
    synchronized void exit(int pid) {
        Entry e = entries.get(pid);
        if (e != null && !e.exited) {
            e.exited = true;
            exited.add(pid);
        }
    }

    synchronized boolean putIfAbsent(ProcessInfo info) {
        if (entries.containsKey(info.pid())) {
            return false;
        }
        insert(info.pid(), new Entry(info));
        return true;
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, evictions, procLoaded, procSkipped, entries.size());
    }

    /** The cached entry of {@code pid}, without counting, touching or reading /proc (for tests and diagnostics). */
    synchronized ProcessInfo peek(int pid) {
        Entry e = entries.get(pid);
        return e == null ? null : e.info;
    }

    /** Whether {@code pid} is cached and marked exited (for tests and diagnostics). */
    public synchronized boolean hasExited(int pid) {
        Entry e = entries.get(pid);
        return e != null && e.exited;
    }

    private Entry insert(int pid, Entry entry) {
        Entry old = entries.put(pid, entry);
        if (old != null) {
            if (old.exited) {
                exited.remove(pid);   // the pid was reused
            }
            return entry;
        }
        while (entries.size() > capacity) {
            evictOne(pid);
        }
        return entry;
    }

    private void evictOne(int keep) {
        Iterator<Integer> it = exited.iterator();
        while (it.hasNext()) {
            int pid = it.next();
            it.remove();
            if (pid != keep && entries.remove(pid) != null) {
                evictions++;
                return;
            }
        }
        Iterator<Map.Entry<Integer, Entry>> lru = entries.entrySet().iterator();
        while (lru.hasNext()) {
            Map.Entry<Integer, Entry> eldest = lru.next();
            if (eldest.getKey() != keep) {
                lru.remove();
                evictions++;
                return;
            }
        }
    }
}
