package io.tcptrace.bcc;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One BPF C program compiled by libbcc, with the programs it loaded and the probes it attached.
 * The lifecycle follows bcc's Python {@code BPF} class: compile, load functions, attach,
 * read maps and buffers, then {@link #close()} detaches and frees everything.
 *
 * <p>Attachments are perf-event fds, so the kernel also drops them when the process dies,
 * even on {@code kill -9}. A JVM shutdown hook detaches every open module on SIGTERM in case
 * the owner had no chance to close it.
 */
public final class BpfModule implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BpfModule.class);
    private static final int VERIFIER_LOG_SIZE = 1 << 20;
    private static final Set<BpfModule> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(BpfModule::detachAll),
                "tcptrace-bpf-detach"));
    }

    private final Pointer module;
    private final Map<String, Integer> programFds = new HashMap<>();
    private final List<Attachment> attachments = new ArrayList<>();
    private boolean closed;

    private BpfModule(Pointer module) {
        this.module = module;
        OPEN.add(this);
    }

    /**
     * A probe attached by this module: {@code fd} is a perf-event fd, or for a raw tracepoint
     * ({@code raw}) a BPF link fd, closed plainly; {@code kprobeEvent} is set for kprobes, which
     * need an extra detach.
     */
    public record Attachment(String description, int fd, String kprobeEvent, boolean raw) {
    }

    /**
     * Compiles {@code source} with clang inside libbcc. Compile errors are printed by libbcc on
     * stderr; the exception says where to look.
     */
    public static BpfModule compile(String source, String sourceName, List<String> cflags) {
        LibBcc.requireLoaded();
        StringArray flags = new StringArray(cflags.toArray(new String[0]));
        Pointer module = LibBcc.bpf_module_create_c_from_string(source, 0, flags, cflags.size(), true, null);
        if (module == null) {
            throw new BccException("BPF program " + sourceName
                    + " failed to compile (clang's errors are printed above): fix the source, or restore it with git checkout");
        }
        return new BpfModule(module);
    }

    /** Loads the named function into the kernel, once; returns its program fd. */
    public synchronized int load(String function, int progType) {
        return load(function, progType, -1);
    }

    private int load(String function, int progType, int attachType) {
        ensureOpen();
        Integer existing = programFds.get(function);
        if (existing != null) {
            return existing;
        }
        Pointer start = LibBcc.bpf_function_start(module, function);
        if (start == null) {
            throw new BccException("BPF program has no function '" + function + "'");
        }
        int size = (int) LibBcc.bpf_function_size(module, function);
        Memory log = new Memory(VERIFIER_LOG_SIZE);
        log.setByte(0, (byte) 0);
        int fd = LibBcc.bcc_func_load(module, progType, function, start, size, LibBcc.bpf_module_license(module),
                LibBcc.bpf_module_kern_version(module), 0, log, VERIFIER_LOG_SIZE, null, attachType);
        if (fd < 0) {
            int errno = Native.getLastError();
            String verifier = log.getString(0).strip();
            if (!verifier.isEmpty()) {
                LOG.error("verifier log for {}:\n{}", function, verifier);
            }
            throw new BccException("kernel refused BPF program '" + function + "': " + Errno.describe(errno)
                    + (verifier.isEmpty() ? "" : " (verifier log above)")
                    + (errno == Errno.EPERM ? ": run as root or with CAP_BPF and CAP_PERFMON" : ""));
        }
        programFds.put(function, fd);
        return fd;
    }

    /**
     * Attaches {@code function} to the raw tracepoint {@code event}: the program gets the
     * tracepoint's arguments, and the kernel skips building the trace record.
     */
    public synchronized void attachRawTracepoint(String event, String function) {
        int prog = load(function, LibBcc.BPF_PROG_TYPE_RAW_TRACEPOINT);
        int fd = LibBcc.bpf_attach_raw_tracepoint(prog, event);
        if (fd < 0) {
            throw new BccException("cannot attach to raw tracepoint " + event + ": " + Errno.describe(Native.getLastError())
                    + ": use rawTracepoint=false");
        }
        attachments.add(new Attachment("raw tracepoint " + event, fd, null, true));
    }

    /** Attaches {@code function} to tracepoint {@code category:event}. */
    public synchronized void attachTracepoint(String category, String event, String function) {
        int prog = load(function, LibBcc.BPF_PROG_TYPE_TRACEPOINT);
        int fd = LibBcc.bpf_attach_tracepoint(prog, category, event);
        if (fd < 0) {
            throw new BccException("cannot attach to tracepoint " + category + ":" + event + ": "
                    + Errno.describe(Native.getLastError()));
        }
        attachments.add(new Attachment("tracepoint " + category + ":" + event, fd, null, false));
    }

    /** Attaches {@code function} as a kprobe ({@code onReturn=false}) or kretprobe on {@code kernelFunction}. */
    public synchronized void attachKprobe(String kernelFunction, String function, boolean onReturn) {
        int prog = load(function, LibBcc.BPF_PROG_TYPE_KPROBE);
        String event = (onReturn ? "r_" : "p_") + kernelFunction + "_tcptrace_" + ProcessHandle.current().pid();
        int fd = LibBcc.bpf_attach_kprobe(prog, onReturn ? LibBcc.BPF_PROBE_RETURN : LibBcc.BPF_PROBE_ENTRY, event,
                kernelFunction, 0, 0);
        if (fd < 0) {
            throw new BccException("cannot attach " + (onReturn ? "kretprobe" : "kprobe") + " to " + kernelFunction
                    + ": " + Errno.describe(Native.getLastError()));
        }
        attachments.add(new Attachment((onReturn ? "kretprobe " : "kprobe ") + kernelFunction, fd, event, false));
    }

    /**
     * Links {@code function}, a cgroup socket-buffer program, to the ingress of the cgroup2
     * directory {@code cgroup} (Linux 5.7+): it then runs for every packet delivered to a socket
     * of a process in that cgroup or below. A link, so it goes with this process however it ends.
     */
    public synchronized void attachCgroupIngress(String cgroup, String function) {
        int prog = load(function, LibBcc.BPF_PROG_TYPE_CGROUP_SKB, BpfSyscall.BPF_CGROUP_INET_INGRESS);
        int dir = Libc.open(cgroup, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (dir < 0) {
            throw new BccException("cannot open cgroup " + cgroup + ": " + Errno.describe(Native.getLastError()));
        }
        try {
            Memory attr = new Memory(BpfSyscall.LINK_ATTR_SIZE);
            attr.clear();
            attr.setInt(BpfSyscall.LINK_PROG_FD, prog);
            attr.setInt(BpfSyscall.LINK_TARGET_FD, dir);
            attr.setInt(BpfSyscall.LINK_ATTACH_TYPE, BpfSyscall.BPF_CGROUP_INET_INGRESS);
            int link = BpfSyscall.fd(BpfSyscall.BPF_LINK_CREATE, attr, BpfSyscall.LINK_ATTR_SIZE);
            if (link < 0) {
                throw new BccException("cannot link '" + function + "' to the ingress of cgroup " + cgroup + ": "
                        + Errno.describe(-link));
            }
            attachments.add(new Attachment("cgroup ingress " + cgroup, link, null, true));
        } finally {
            Libc.close(dir);
        }
    }

    /** The kernel's limit on a raw tracepoint's arguments (MAX_BPF_FUNC_ARGS). */
    public static final int MAX_RUN_ARGS = 12;

    /** Loads a program that is attached nowhere and only {@link #run}: a raw tracepoint program. */
    public int loadRunnable(String function) {
        return load(function, LibBcc.BPF_PROG_TYPE_RAW_TRACEPOINT);
    }

    /**
     * Runs a loaded raw tracepoint program once in the calling task with BPF_PROG_TEST_RUN, its
     * {@code args} as the tracepoint's arguments (at most {@link #MAX_RUN_ARGS}); returns its return value.
     */
    public int run(String function, long... args) {
        if (args.length > MAX_RUN_ARGS) {
            throw new IllegalArgumentException("a raw tracepoint program takes at most " + MAX_RUN_ARGS + " arguments");
        }
        int fd;
        synchronized (this) {
            ensureOpen();
            Integer loaded = programFds.get(function);
            if (loaded == null) {
                throw new BccException("BPF program '" + function + "' is not loaded");
            }
            fd = loaded;
        }
        Memory ctx = new Memory(8L * Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            ctx.setLong(8L * i, args[i]);
        }
        Memory attr = new Memory(BpfSyscall.TEST_ATTR_SIZE);
        attr.clear();
        attr.setInt(BpfSyscall.TEST_PROG_FD, fd);
        attr.setInt(BpfSyscall.TEST_CTX_SIZE_IN, 8 * args.length);
        attr.setLong(BpfSyscall.TEST_CTX_IN, Pointer.nativeValue(ctx));
        int rc = BpfSyscall.call(BpfSyscall.BPF_PROG_TEST_RUN, attr, BpfSyscall.TEST_ATTR_SIZE);
        if (rc != 0) {
            throw new BccException("cannot run BPF program '" + function + "': " + Errno.describe(-rc));
        }
        return attr.getInt(BpfSyscall.TEST_RETVAL);
    }

    /**
     * Loads a BPF iterator program (a function named {@code bpf_iter__TARGET}, Linux 5.8+) and links
     * it to its target; returns the link's fd, which this module owns and closes with itself.
     * Each {@link #iterate} then runs it over what the target holds.
     */
    public synchronized int iteratorLink(String function) {
        int prog = load(function, LibBcc.BPF_PROG_TYPE_TRACING, BpfSyscall.BPF_TRACE_ITER);
        Memory attr = new Memory(BpfSyscall.LINK_ATTR_SIZE);
        attr.clear();
        attr.setInt(BpfSyscall.LINK_PROG_FD, prog);
        attr.setInt(BpfSyscall.LINK_ATTACH_TYPE, BpfSyscall.BPF_TRACE_ITER);
        int link = BpfSyscall.fd(BpfSyscall.BPF_LINK_CREATE, attr, BpfSyscall.LINK_ATTR_SIZE);
        if (link < 0) {
            throw new BccException("cannot link BPF iterator '" + function + "': " + Errno.describe(-link));
        }
        links.add(link);
        return link;
    }

    /**
     * Creates an iterator from {@code link} in the calling thread's namespaces (a network iterator
     * walks the sockets of the thread's network namespace); returns its fd, which the caller reads
     * to the end with {@link #iterate(int)}.
     */
    public static int newIterator(int link) {
        Memory attr = new Memory(8);
        attr.clear();
        attr.setInt(0, link);
        int fd = BpfSyscall.fd(BpfSyscall.BPF_ITER_CREATE, attr, 8);
        if (fd < 0) {
            throw new BccException("cannot create a BPF iterator: " + Errno.describe(-fd));
        }
        return fd;
    }

    /** Runs an iterator to its end (its program once per element) and closes it; the bytes it wrote. */
    public static long iterate(int iterator) {
        try {
            Memory buf = new Memory(4096);
            long total = 0;
            long n;
            while ((n = Libc.read(iterator, buf, buf.size())) > 0) {
                total += n;
            }
            if (n < 0) {
                throw new BccException("reading a BPF iterator failed: " + Errno.describe(Native.getLastError()));
            }
            return total;
        } finally {
            Libc.close(iterator);
        }
    }

    public synchronized List<Attachment> attachments() {
        return Collections.unmodifiableList(new ArrayList<>(attachments));
    }

    /**
     * Detaches every probe, the last attached first; programs and maps stay loaded, so probes can
     * be attached again.
     */
    public synchronized void detachAll() {
        for (int i = attachments.size() - 1; i >= 0; i--) {
            Attachment a = attachments.get(i);
            if (a.raw()) {
                Libc.close(a.fd());   // a link fd: the perf ioctl would fail and print
            } else {
                LibBcc.bpf_close_perf_event_fd(a.fd());
            }
            if (a.kprobeEvent() != null) {
                LibBcc.bpf_detach_kprobe(a.kprobeEvent());
            }
        }
        attachments.clear();
    }

    /** The named map (BPF_HASH, BPF_PERCPU_ARRAY, ring buffer, perf array...). */
    public synchronized BpfMap map(String name) {
        ensureOpen();
        int fd = LibBcc.bpf_table_fd(module, name);
        if (fd < 0) {
            throw new BccException("BPF program has no map '" + name + "'");
        }
        return new BpfMap(name, fd, (int) LibBcc.bpf_table_key_size(module, name),
                (int) LibBcc.bpf_table_leaf_size(module, name), LibBcc.bpf_table_max_entries(module, name));
    }

    /** Detaches, unloads the programs and frees the module (which closes its map fds). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        detachAll();
        links.forEach(Libc::close);
        links.clear();
        programFds.values().forEach(Libc::close);
        programFds.clear();
        LibBcc.bpf_module_destroy(module);
        closed = true;
        OPEN.remove(this);
    }

    private final List<Integer> links = new ArrayList<>();

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("BPF module is closed");
        }
    }
}
