package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.CompilerPages;
import io.tcptrace.bcc.CpuList;
import io.tcptrace.bcc.EventReader;
import io.tcptrace.bcc.Libc;
import io.tcptrace.bcc.PerfBufferReader;
import io.tcptrace.bcc.RecordHandler;
import io.tcptrace.bcc.MappedRingBuffer;
import io.tcptrace.event.CommunityId;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.event.HostName;
import io.tcptrace.kernel.btf.BtfException;
import io.tcptrace.kernel.btf.KernelOffsets;
import io.tcptrace.names.DestinationNames;
import io.tcptrace.names.DnsProbes;
import io.tcptrace.names.NameCounters;
import io.tcptrace.process.ProcessContext;
import io.tcptrace.process.ProcessProbes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel event source: compiles bpf/tcpconnect.bpf.c for the chosen probe and transport,
 * loads the filters into its maps, attaches, and turns buffer records into batches of
 * {@link ConnectionEvent}s on the thread that calls {@link #poll(int)}.
 *
 * <p>One poll thread owns an instance. Records are decoded straight from the kernel's buffer
 * into a reused batch list; the batch goes to the handler after the reader has returned, so no
 * handler code ever runs inside a native callback.
 *
 * <p>With the process context on (and the ring buffer), bpf/process.bpf.c is appended to the
 * source: its exec/fork/exit records come through the same buffer and feed the
 * {@link ProcessContext}, which gives every event its executable, command line, parent, user and
 * cgroup. Its tracepoints are attached after the connection probes and detached before them.
 */
public final class ConnectTracer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectTracer.class);
    public static final int MAX_BATCH = 1024;

    private final TracerConfiguration config;
    private final ProbeMode probe;
    private final Transport transport;
    private final BpfModule module;
    private final BpfMap counters;
    private final EventReader reader;
    private final int possibleCpus = CpuList.possibleCount();
    private final List<ConnectionEvent> batch = new ArrayList<>(MAX_BATCH);
    private final BatchHandler handler;
    private final RecordDecoder decoder;
    private volatile double fill;
    private final ProcessContext processContext;
    private final boolean processProbes;
    private final DestinationNames names;
    private boolean dnsFilterRefused;
    private volatile ListenerSeed.Result listenerSeed;
    private final boolean procShowsKernelPids;
    private volatile boolean attachedBefore;
    private final boolean updates;
    // Made at the first sweep, on the sweeping thread: verifying its program takes about 0.3 s of
    // CPU, which the start (and the first events) need not wait for.
    private ConnectionSweep sweep;
    private boolean sweepRefused;
    private final int openConnectionsLink;
    private volatile OpenConnectionSeed.Result openConnectionSeed;

    /** Receives decoded events on the poll thread. The list is reused: keep the events, not the list. */
    @FunctionalInterface
    public interface BatchHandler {
        void onBatch(List<ConnectionEvent> events);
    }

    private ConnectTracer(TracerConfiguration config, ProbeMode probe, Transport transport, BpfModule module,
            BatchHandler handler, String host, ProcessContext processContext, boolean processProbes,
            boolean procShowsKernelPids, boolean dnsAnswers) {
        this.config = config;
        this.probe = probe;
        this.transport = transport;
        this.module = module;
        this.handler = handler;
        this.processContext = processContext;
        this.processProbes = processProbes;
        this.procShowsKernelPids = procShowsKernelPids;
        this.counters = module.map("counters");
        this.updates = config.getEvents().contains(Type.UPDATE);
        this.openConnectionsLink = seedsOpenConnections(config, probe) ? openConnectionsLink(module) : -1;
        this.names = dnsAnswers ? new DestinationNames(config.nameSettings(), config.getEvents().contains(Type.CLOSE))
                : null;
        this.decoder = new RecordDecoder(new KernelClock(), host, batch::add, processContext, healthMask(probe),
                config.isCommunityId() ? new CommunityId(config.getCommunityIdSeed()) : null, names);
        BpfMap events = module.map("events");
        this.reader = transport == Transport.RINGBUF
                ? new MappedRingBuffer(events, decoder)
                : openPerfBuffers(events, perfPagesPerCpu(config.getBufferPages()), decoder);
    }

    /**
     * Whether bpf_iter__tcp is compiled in: close events (the connections found are tracked for
     * their close), the raw tracepoint's socket offsets and those of a socket's state and inode.
     */
    static boolean seedsOpenConnections(TracerConfiguration config, ProbeMode probe) {
        return config.getEvents().contains(Type.CLOSE) && rawTracepoint(config, probe)
                && KernelOffsets.fromRunningKernel().openConnectionsReadable();
    }

    /** The iterator's link, or -1 with one WARN where the kernel refuses it (before 5.9, no BPF iterators). */
    private static int openConnectionsLink(BpfModule module) {
        try {
            return module.iteratorLink(OpenConnectionSeed.PROGRAM);
        } catch (BccException e) {
            LOG.warn("connections open before the start are not reported: {}", e.getMessage());
            return -1;
        }
    }

    /** The TCP counters the program reads: tracepoint mode, where the kernel's BTF has them. */
    private static int healthMask(ProbeMode probe) {
        return probe == ProbeMode.TRACEPOINT && KernelOffsets.available()
                ? RecordDecoder.healthMask(KernelOffsets.fromRunningKernel()) : 0;
    }

    /** Once at start: which TCP health fields this kernel cannot give (each is then left out, never zero). */
    private static void sayWhatHealthIsAbsent(ProbeMode probe) {
        if (probe != ProbeMode.TRACEPOINT || !KernelOffsets.available()) {
            LOG.info("close events carry no TCP health (rtt, retransmits, packets): {}", probe != ProbeMode.TRACEPOINT
                    ? "kprobe mode has no close events" : "the kernel has no BTF to find tcp_sock's counters in");
            return;
        }
        List<String> absent = new ArrayList<>();
        KernelOffsets.fromRunningKernel().health().forEach((macro, offset) -> {
            if (offset == KernelOffsets.ABSENT) {
                absent.add("tcp_sock." + macro.substring("OFF_TCP_SOCK_".length()).toLowerCase(Locale.ROOT));
            }
        });
        if (!absent.isEmpty()) {
            LOG.info("the kernel's BTF has no {}: those TCP health fields are left out of close events", absent);
        }
    }

    /**
     * Perf buffers are mmapped locked memory; past kernel.perf_event_mlock_kb they count against
     * RLIMIT_MEMLOCK unless the process holds CAP_IPC_LOCK. libbcc loses the mmap's EPERM, so
     * the likely cause is named here.
     */
    private static EventReader openPerfBuffers(BpfMap events, int pagesPerCpu, RecordHandler handler) {
        try {
            return new PerfBufferReader(events, pagesPerCpu, handler);
        } catch (BccException e) {
            if (KernelSupport.canLockMemory()) {
                throw e;
            }
            throw new BccException(e.getMessage() + ": without CAP_IPC_LOCK the perf buffers (" + pagesPerCpu
                    + " pages per CPU) must fit the locked-memory limit: raise it (LimitMEMLOCK= in the unit, "
                    + "ulimit -l), lower bufferPages, or use transport=ringbuf");
        }
    }

    /**
     * Compiles, loads and attaches. On any failure everything already loaded is released, so
     * nothing stays half-attached in the kernel.
     */
    public static ConnectTracer open(TracerConfiguration config, BatchHandler handler) {
        return open(config, handler, null);
    }

    /**
     * As {@link #open(TracerConfiguration, BatchHandler)}; {@code processLoader} runs the process
     * context's slow lookups (/proc, cgroup tree, user database): one thread with a bounded
     * queue, owned by the caller; null makes a daemon thread the tracer owns.
     */
    public static ConnectTracer open(TracerConfiguration config, BatchHandler handler, ExecutorService processLoader) {
        Path cacheDir = Path.of(config.getCacheDir());
        String host = config.getHostName() == null || config.getHostName().isBlank() ? HostName.kernel()
                : config.getHostName();
        KernelSupport.requirePrivileges();
        KernelSupport.requireTracefs();
        ProbeMode probe = resolveProbe(config.getProbe());
        Transport transport = resolveTransport(config.getTransport());
        KernelHeaders.Status headers = KernelHeaders.prepare(cacheDir);
        if (probe == ProbeMode.KPROBE && headers == KernelHeaders.Status.MERGED_MISMATCHED) {
            LOG.warn("kprobe mode with headers of another kernel: struct sock offsets may be wrong, so addresses "
                    + "and ports may be garbage. Use probe=tracepoint or install matching headers.");
        }
        chooseEvents(config, probe);
        sayWhatNamesNamespaces();
        sayWhatHealthIsAbsent(probe);
        boolean procShowsKernelPids = OwnProcess.procShowsKernelPids();
        if (!procShowsKernelPids) {
            LOG.warn("/proc here belongs to another pid namespace than the kernel's events (tcptrace is process {} in "
                    + "them): processes are not read from /proc by pid and listeners opened before the start stay "
                    + "without a process; run tcptrace in the host's pid namespace (docker/podman --pid=host, "
                    + "Kubernetes hostPID: true)", OwnProcess.tgid());
        }
        String source = readSource(config.getBpfSource());
        List<String> flags = cflags(config, probe, transport);
        // The fragment uses the connection program's ring buffer and counters: a bpfSource of
        // another shape (no process counters) gets the context from /proc only.
        boolean processRecords = config.isProcessContext() && transport == Transport.RINGBUF
                && source.contains("COUNTER_LOST_PROCESS_ARGS");
        if (processRecords) {
            source = source + "\n" + ProcessProbes.source();
            flags.addAll(ProcessProbes.cflags(config.processSettings()));
        } else if (config.isProcessContext()) {
            LOG.info("process context from /proc only ({}): a process that exits right after its connect may have"
                    + " no executable or command line", transport != Transport.RINGBUF
                    ? "the kernel's process records need transport=ringbuf"
                    : "the BPF source declares no process counters");
        }
        boolean dnsAnswers = chooseDestHost(config, transport, source);
        if (dnsAnswers) {
            source = source + "\n" + DnsProbes.source();
            flags.addAll(DnsProbes.cflags());
        }
        long started = System.nanoTime();
        BpfModule module = BpfModule.compile(source, sourceName(config.getBpfSource()), flags);
        Libc.malloc_trim(0);
        long released = CompilerPages.release();
        LOG.info("compiled {} for {} probe with {} transport in {} ms (compiler code released from memory: {} MB)",
                sourceName(config.getBpfSource()), probe.name().toLowerCase(Locale.ROOT),
                transport.name().toLowerCase(Locale.ROOT), (System.nanoTime() - started) / 1_000_000, released / 1024);
        ConnectTracer tracer = null;
        ProcessContext context = null;
        try {
            loadFilters(module, config);
            context = config.isProcessContext()
                    ? ProcessContext.create(config.processSettings(), processLoader, procShowsKernelPids) : null;
            tracer = new ConnectTracer(config, probe, transport, module, handler, host, context, processRecords,
                    procShowsKernelPids, dnsAnswers);
            tracer.attach();
            if (context != null) {
                // after attaching: a process started meanwhile is in the records, in /proc, or both
                context.learnExisting();
            }
            return tracer;
        } catch (RuntimeException e) {
            if (tracer != null) {
                tracer.close();
            } else {
                module.close();
                if (context != null) {
                    context.close();
                }
            }
            throw e;
        }
    }

    /**
     * Attaches the probes (again, after {@link #detach()}). A re-attach first empties the maps of
     * connections and listeners: while detached, sockets closed unseen and their addresses may
     * belong to new sockets by now, which a stale entry would give another process's owner, start
     * time and byte counts.
     */
    public void attach() {
        module.detachAll();
        if (attachedBefore) {
            forgetWhatTheDetachHid();
        }
        try {
            if (probe == ProbeMode.TRACEPOINT) {
                if (!KernelOffsets.available()) {
                    module.attachTracepoint("tcp", "tcp_receive_reset", "tracepoint__tcp__tcp_receive_reset");
                }
                if (rawTracepoint(config, probe)) {
                    module.attachRawTracepoint("inet_sock_set_state", "raw_tracepoint__inet_sock_set_state");
                } else {
                    module.attachTracepoint("sock", "inet_sock_set_state", "tracepoint__sock__inet_sock_set_state");
                }
            } else {
                for (String fn : kprobeFunctions(config.getIpVersion())) {
                    module.attachKprobe(fn, "kprobe_connect_entry", false);
                    module.attachKprobe(fn, "kprobe_connect_return", true);
                }
            }
            if (processProbes) {
                ProcessProbes.attach(module, config.processSettings());
            }
            if (names != null) {
                attachDnsFilter();
            }
        } catch (RuntimeException e) {
            module.detachAll();
            throw e;
        }
        LOG.info("attached {}", module.attachments().stream().map(BpfModule.Attachment::description).toList());
        attachedBefore = true;
        seedListeners();
        seedOpenConnections();
    }

    /**
     * Puts the connections open before the probes attached into the connection map, so their
     * updates and close are reported (flagged preexisting). Never fails the start: one WARN instead.
     */
    private void seedOpenConnections() {
        if (openConnectionsLink < 0) {
            return;
        }
        try {
            boolean perNamespace = procShowsKernelPids && KernelOffsets.fromRunningKernel().netnsReadable();
            OpenConnectionSeed.Result r = OpenConnectionSeed.forThisHost().seed(openConnectionsLink, module.map("conns"),
                    module.map("seed_owners"), perNamespace);
            openConnectionSeed = r;
            LOG.info("found {} TCP connections open before the start in {} network namespace{} ({} open sockets named"
                    + " by /proc{}){} in {} ms", r.found(), r.namespaces(), r.namespaces() == 1 ? "" : "s", r.withOwner(),
                    r.ownersFull() > 0 ? "; " + r.ownersFull() + " more without their process: the owners map holds"
                            + " 65,536" : "",
                    r.notEntered() > 0 ? "; " + r.notEntered() + " other namespaces could not be entered (that needs"
                            + " CAP_SYS_ADMIN): their older connections are not reported" : "",
                    String.format(Locale.ROOT, "%.1f", r.micros() / 1000.0));
        } catch (RuntimeException e) {
            LOG.warn("connections open before the start are not reported: {}", e.getMessage());
        }
    }

    /** What the last search for connections open before the attach found; null when none ran or it failed. */
    OpenConnectionSeed.Result openConnectionSeed() {
        return openConnectionSeed;
    }

    /** Connections the last start-up search found open and took in, and how long it took (µs); {-1, -1} if none ran. */
    public long[] openConnectionsFound() {
        OpenConnectionSeed.Result r = openConnectionSeed;
        return r == null ? new long[] {-1, -1} : new long[] {r.found(), r.micros()};
    }

    /** The maps that hold sockets' state between two of their state changes; filters and counters stay. */
    private static final List<String> SOCKET_STATE_MAPS = List.of("pending", "pending_slots", "conns", "listeners",
            "connecting");

    private void forgetWhatTheDetachHid() {
        StringBuilder cleared = new StringBuilder();
        for (String name : SOCKET_STATE_MAPS) {
            if (name.equals("listeners") && !procShowsKernelPids) {
                continue;   // no /proc to seed them from again: the owners learnt so far are the best there is
            }
            BpfMap map;
            try {
                map = module.map(name);
            } catch (BccException absent) {
                continue;   // this program variant has no such map
            }
            long held = map.clear();
            if (held > 0) {
                cleared.append(cleared.length() == 0 ? "" : ", ").append(held).append(" in ").append(name);
            }
        }
        if (names != null) {
            names.forgetOpenConnections();   // their closes will not come
        }
        if (cleared.length() > 0) {
            LOG.info("re-attaching: forgot the sockets seen before the detach ({}): their connects, accepts and closes "
                    + "that finish now are not reported, as nothing is while detached", cleared);
        }
    }

    /** One line at start when events cannot carry their network namespace. */
    private static void sayWhatNamesNamespaces() {
        if (!KernelOffsets.available()) {
            return;   // without BTF: already said by whoever needed the offsets
        }
        if (!KernelOffsets.fromRunningKernel().netnsReadable()) {
            LOG.warn("events carry no netns and listeners are told apart by port alone: the kernel's BTF has no "
                    + "sock_common.skc_net.net or net.ns.inum (a kernel without CONFIG_NET_NS?)");
        }
    }

    /**
     * After attaching: the owners of listeners opened before, which the program did not see
     * listen(). Again after a re-attach, for those opened while detached. Only programs that
     * trace accepts or closes have the map.
     */
    private void seedListeners() {
        if (probe != ProbeMode.TRACEPOINT
                || !(config.getEvents().contains(Type.ACCEPT) || config.getEvents().contains(Type.CLOSE))) {
            return;
        }
        if (!procShowsKernelPids) {
            return;   // its pids would name other processes (said once at open)
        }
        BpfMap listeners;
        try {
            listeners = module.map("listeners");
        } catch (BccException e) {
            LOG.warn("{}: listeners opened before the start stay without a process", e.getMessage());
            return;
        }
        listenerSeed = ListenerSeed.seedFromProc(listeners,
                KernelOffsets.available() && KernelOffsets.fromRunningKernel().netnsReadable());
    }

    /** What the last seed of the listeners map did; null when none ran or it failed. */
    ListenerSeed.Result listenerSeed() {
        return listenerSeed;
    }

    /** Detaches the probes; events already in the buffer can still be read with {@link #drain()}. */
    public void detach() {
        if (attached()) {
            module.detachAll();
            LOG.info("detached {} probes", probe.name().toLowerCase(Locale.ROOT));
        }
    }

    public boolean attached() {
        return !module.attachments().isEmpty();
    }

    /**
     * Waits up to {@code timeoutMs} when the buffer is empty, then hands on up to one batch of
     * events. Returns how many it read.
     */
    public int poll(int timeoutMs) {
        int n = reader.poll(timeoutMs, MAX_BATCH);
        fill = reader.fill();
        flush();
        return n;
    }

    /** Hands on every event already in the buffer without waiting. */
    public void drain() {
        while (reader.poll(0, MAX_BATCH) > 0) {
            flush();
        }
        flush();
    }

    /**
     * How full the kernel buffer was after the last poll, 0 to 1 (ring buffer; 0 for perf buffers,
     * which cannot tell). Measured on the poll thread and published: other threads (gauges, health)
     * must never touch the mapping, which the poll thread unmaps at close.
     */
    public double bufferFill() {
        return fill;
    }

    /** One of the program's maps, for looking into the kernel side's state (the tests do). */
    BpfMap map(String name) {
        return module.map(name);
    }

    /**
     * The kernel's counters. Safe to call from any thread (map lookups are syscalls), so they can
     * be read on a clock while the poll thread is busy.
     */
    public KernelCounters counters() {
        return new KernelCounters(counters.sumPerCpu(0, possibleCpus), counters.sumPerCpu(1, possibleCpus),
                counters.sumPerCpu(2, possibleCpus), counters.sumPerCpu(3, possibleCpus), decoder.malformed(),
                ProcessProbes.lostRecords(counters, possibleCpus), ProcessProbes.lostArgs(counters, possibleCpus));
    }

    /**
     * Links the DNS answer filter. With destHost=auto a kernel that refuses it (a verifier, a
     * security module, a cgroup that allows no more programs) leaves the tracer without names and
     * says so once; destHost=true fails the attach.
     */
    private void attachDnsFilter() {
        try {
            DnsProbes.attach(module);
        } catch (BccException e) {
            if ("true".equals(config.getDestHost())) {
                throw e;
            }
            if (!dnsFilterRefused) {
                LOG.warn("connections carry no dest_host: {}", e.getMessage());
                dnsFilterRefused = true;
            }
        }
    }

    /** What destination naming saw, kept and dropped; null when dest_host is off. */
    public NameCounters nameCounters() {
        return names == null ? null : NameCounters.of(names, DnsProbes.lostAnswers(counters, possibleCpus));
    }

    /**
     * Whether DNS answers are read for dest_host: destHost=false never; auto where this host can
     * (else one line says why not); true fails the start where it cannot, naming the cause.
     */
    static boolean chooseDestHost(TracerConfiguration config, Transport transport, String source) {
        if ("false".equals(config.getDestHost())) {
            return false;
        }
        config.nameSettings();   // its settings checked before anything is compiled
        java.util.Optional<String> missing = !source.contains("COUNTER_LOST_DNS")
                ? java.util.Optional.of("the BPF source declares no DNS counter (bpfSource of another shape)")
                : !(KernelOffsets.available() && KernelOffsets.fromRunningKernel().netnsReadable())
                ? java.util.Optional.of("names are kept per network namespace, and the kernel's BTF does not say"
                        + " where a socket's namespace is (sock_common.skc_net, net.ns.inum)")
                : DnsProbes.missingHere(transport);
        if (missing.isEmpty()) {
            return true;
        }
        if ("true".equals(config.getDestHost())) {
            throw new BccException("destHost=true: " + missing.get());
        }
        LOG.info("connections carry no dest_host: {}", missing.get());
        return false;
    }

    /** The process context events get their fields from; null when processContext=false. */
    public ProcessContext processContext() {
        return processContext;
    }

    public ProbeMode probe() {
        return probe;
    }

    public Transport transport() {
        return transport;
    }

    /** How often {@link #sweepUpdates()} should run: 0 when update events are off. */
    public long sweepPeriodMillis() {
        return updates ? ConnectionSweep.periodMillis(config.getUpdateInterval()) : 0;
    }

    /**
     * Makes the kernel write an update record for each connection open and unreported for the
     * update interval; they arrive through the buffer like any other record. Any thread; the
     * caller keeps it from overlapping {@link #close()}. Nothing when update events are off.
     */
    public synchronized void sweepUpdates() {
        if (!updates || sweepRefused) {
            return;
        }
        if (sweep == null) {
            try {
                sweep = new ConnectionSweep(module, config.getUpdateInterval());
            } catch (BccException e) {
                // where the kernel refuses it (BPF_PROG_TEST_RUN of a raw tracepoint program, Linux 5.10+)
                sweepRefused = true;
                LOG.warn("update events are off: {} (they need Linux 5.10+)", e.getMessage());
                return;
            }
        }
        sweep.sweep();
    }

    public List<BpfModule.Attachment> attachments() {
        return module.attachments();
    }

    @Override
    public void close() {
        try {
            reader.close();
        } finally {
            try {
                module.close();
            } finally {
                if (processContext != null) {
                    processContext.close();
                }
            }
        }
    }

    private void flush() {
        if (batch.isEmpty()) {
            return;
        }
        try {
            handler.onBatch(batch);
        } finally {
            batch.clear();
        }
    }

    /**
     * Settles which event types this kernel and probe can give. kprobe mode sees connects only.
     * close needs struct offsets from BTF: without BTF, auto leaves close out with one WARN,
     * while an explicit request fails with the reason.
     */
    static void chooseEvents(TracerConfiguration config, ProbeMode probe) {
        Set<Type> events = config.getEvents();
        if (probe == ProbeMode.KPROBE) {
            if (config.isEventsExplicit() && (events.contains(Type.ACCEPT) || events.contains(Type.CLOSE)
                    || events.contains(Type.UPDATE))) {
                throw new BccException("events=" + events.stream().map(Type::json).toList() + ": kprobe mode sees"
                        + " connects only: use probe=tracepoint for accept, close and update, or events=connect");
            }
            config.withoutEvent(Type.ACCEPT);
            config.withoutEvent(Type.CLOSE);
            config.withoutEvent(Type.UPDATE);
            return;
        }
        if (events.contains(Type.CLOSE) || events.contains(Type.ACCEPT)) {
            // Both read struct fields at offsets from BTF (close: byte counts; accept: the listener's port).
            try {
                KernelOffsets.fromRunningKernel();
            } catch (BtfException e) {
                if (config.isEventsExplicit()) {
                    throw new BccException(e.getMessage());
                }
                LOG.warn("accept, close and update events are off: {}", e.getMessage());
                config.withoutEvent(Type.CLOSE);
                config.withoutEvent(Type.ACCEPT);
                config.withoutEvent(Type.UPDATE);
            }
        }
        chooseUpdates(config, probe);
        if (config.getEvents().isEmpty()) {
            throw new BccException("events: no event type left to trace: use connect, accept or close");
        }
    }

    /**
     * Update events report the connections tracked for their close, read at the socket's BTF
     * offsets as the raw tracepoint reads them; updateInterval=0 turns them off.
     */
    private static void chooseUpdates(TracerConfiguration config, ProbeMode probe) {
        Set<Type> events = config.getEvents();
        if (!events.contains(Type.UPDATE)) {
            return;
        }
        String missing = !events.contains(Type.CLOSE)
                ? "update needs close: the connections reported while open are the ones tracked for their close; add close"
                : !rawTracepoint(config, probe)
                ? "update events read each open socket at its BTF offsets, as the raw tracepoint does: set rawTracepoint=true"
                  + " (tcptrace.raw-tracepoint) on a kernel with BTF"
                : null;
        if (missing != null && config.isEventsExplicit()) {
            throw new BccException("events=" + events.stream().map(Type::json).toList() + ": " + missing);
        }
        if (missing != null) {
            LOG.info("update events are off: {}", missing);
        }
        if (missing != null || config.getUpdateInterval() == 0) {
            config.withoutEvent(Type.UPDATE);
        }
    }

    /**
     * Whether sock:inet_sock_set_state is attached raw: asked for (the default), and the kernel's BTF
     * has every socket offset the program then reads in place of the tracepoint's record.
     */
    static boolean rawTracepoint(TracerConfiguration config, ProbeMode probe) {
        return probe == ProbeMode.TRACEPOINT && config.isRawTracepoint() && KernelOffsets.available()
                && KernelOffsets.fromRunningKernel().rawTracepointReadable();
    }

    static ProbeMode resolveProbe(ProbeMode requested) {
        boolean tracepoint = KernelSupport.hasTracepoint("sock", "inet_sock_set_state");
        return switch (requested) {
            case AUTO -> tracepoint ? ProbeMode.TRACEPOINT : requireKprobes("probe=auto found neither the "
                    + "sock:inet_sock_set_state tracepoint (Linux 4.16+) nor kprobes");
            case TRACEPOINT -> {
                if (!tracepoint) {
                    throw new BccException("this kernel has no sock:inet_sock_set_state tracepoint (it needs Linux "
                            + "4.16+): use probe=kprobe");
                }
                yield ProbeMode.TRACEPOINT;
            }
            case KPROBE -> requireKprobes("kprobes are not available in this kernel (built without CONFIG_KPROBES)");
        };
    }

    private static ProbeMode requireKprobes(String cause) {
        if (!KernelSupport.hasKprobes()) {
            throw new BccException(cause + ": use probe=tracepoint (probe=auto picks it where the kernel has it)");
        }
        return ProbeMode.KPROBE;
    }

    static Transport resolveTransport(Transport requested) {
        boolean ring = KernelSupport.hasRingBuffer();
        if (requested == Transport.RINGBUF && !ring) {
            throw new BccException("this kernel has no BPF ring buffer (it needs Linux 5.8+): use transport=perf");
        }
        return requested == Transport.AUTO ? (ring ? Transport.RINGBUF : Transport.PERF) : requested;
    }

    static List<String> cflags(TracerConfiguration config, ProbeMode probe, Transport transport) {
        List<String> flags = new ArrayList<>();
        flags.add(probe == ProbeMode.TRACEPOINT ? "-DPROBE_TRACEPOINT" : "-DPROBE_KPROBE");
        if (transport == Transport.RINGBUF) {
            flags.add("-DTRANSPORT_RINGBUF");
            flags.add("-DRINGBUF_PAGES=" + config.getBufferPages());
        }
        flags.add("-DPENDING_MAX=" + config.getPendingMax());
        if (probe == ProbeMode.TRACEPOINT) {
            Optional<String> noSlots = PendingSlots.missingHere();
            if (noSlots.isEmpty()) {
                flags.add(PendingSlots.CFLAG + PendingSlots.bits(config.getPendingMax()));
            } else {
                LOG.info("connects in SYN_SENT are kept in the pending map alone, which costs each connect a little"
                        + " more: {}", noSlots.get());
            }
        }
        flags.add("-DCONN_MAX=" + config.getConnMax());
        if (config.getEvents().contains(Type.UPDATE)) {
            flags.add("-DUPDATE_INTERVAL_NS=" + config.getUpdateInterval() * 1_000_000_000L + "ULL");
            flags.add("-DSWEEP_BATCH=" + ConnectionSweep.BATCH);
        }
        for (Type type : config.getEvents()) {
            flags.add("-DEVENT_" + type.name());
        }
        // With BTF, a connect's outcome comes from sock.sk_err and tcp:tcp_receive_reset is not
        // attached (chooseEvents has already refused accept and close without it).
        if (probe == ProbeMode.TRACEPOINT && KernelOffsets.available()) {
            flags.addAll(KernelOffsets.fromRunningKernel().cflags());
        } else if (KernelOffsets.available()) {
            flags.addAll(KernelOffsets.fromRunningKernel().netnsCflags());   // kprobe mode: netns only
        }
        if (rawTracepoint(config, probe)) {
            flags.add("-DRAW_TRACEPOINT");
        }
        if (seedsOpenConnections(config, probe)) {
            flags.add("-DSEED_OPEN");
            flags.addAll(KernelOffsets.fromRunningKernel().openConnectionsCflags());
        }
        if (config.isExcludeOwnPid()) {
            // the kernel's pid of this process, also in a pid namespace of its own; a constant: no map lookup per connect
            flags.add("-DEXCLUDE_OWN_PID=" + OwnProcess.tgid());
        }
        if (!config.getExcludePids().isEmpty()) {
            flags.add("-DFILTER_EXCLUDE_PIDS");
        }
        if (!config.getOnlyPids().isEmpty()) {
            flags.add("-DFILTER_ONLY_PIDS");
        }
        if (!config.getUids().isEmpty()) {
            flags.add("-DFILTER_UIDS");
        }
        if (!config.getDestPorts().isEmpty()) {
            flags.add("-DFILTER_DPORTS");
        }
        if (config.getIpVersion() != 0) {
            flags.add("-DFILTER_FAMILY=" + (config.getIpVersion() == 4 ? 2 : 10));
        }
        return flags;
    }

    private static void loadFilters(BpfModule module, TracerConfiguration config) {
        fill(module, "excluded_pids", config.getExcludePids());
        fill(module, "only_pids", config.getOnlyPids());
        fill(module, "only_uids", config.getUids());
        fill(module, "only_dports", config.getDestPorts());
    }

    private static void fill(BpfModule module, String map, Set<? extends Number> keys) {
        if (keys.isEmpty()) {
            return;
        }
        BpfMap m = module.map(map);
        for (Number key : keys) {
            m.put(key.longValue(), 1);
        }
    }

    private static List<String> kprobeFunctions(int ipVersion) {
        return switch (ipVersion) {
            case 4 -> List.of("tcp_v4_connect");
            case 6 -> List.of("tcp_v6_connect");
            default -> List.of("tcp_v4_connect", "tcp_v6_connect");
        };
    }

    static int perfPagesPerCpu(int totalPages) {
        int perCpu = totalPages / Math.max(1, CpuList.online().size());
        return Math.max(8, Integer.highestOneBit(Math.max(1, perCpu)));
    }

    private static String sourceName(String path) {
        return path == null ? "bpf/tcpconnect.bpf.c" : path;
    }

    private static String readSource(String path) {
        if (path == null) {
            return BpfSources.fromJar("tcpconnect.bpf.c");
        }
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            throw new BccException("cannot read BPF source " + path + ": " + e.getMessage() + ": check the bpfSource option");
        }
    }
}
