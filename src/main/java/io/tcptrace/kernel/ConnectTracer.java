package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.CpuList;
import io.tcptrace.bcc.EventReader;
import io.tcptrace.bcc.Libc;
import io.tcptrace.bcc.PerfBufferReader;
import io.tcptrace.bcc.RecordHandler;
import io.tcptrace.bcc.RingBufferReader;
import io.tcptrace.event.ConnectEvent;
import io.tcptrace.event.ConnectEventBatchHandler;
import io.tcptrace.event.ConnectEventDecoder;
import io.tcptrace.event.KernelClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel event source: compiles bpf/tcpconnect.bpf.c for the chosen probe and transport,
 * loads the filters into its maps, attaches, and turns buffer records into batches of
 * {@link ConnectEvent}s on the thread that calls {@link #poll(int)}.
 *
 * <p>One poll thread owns an instance. The only per-event allocation is the event itself: the
 * record is copied into a reused scratch array, decoded, and appended to a reused batch list
 * that is handed on when full and after every poll.
 */
public final class ConnectTracer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectTracer.class);
    static final String SOURCE_RESOURCE = "/bpf/tcpconnect.bpf.c";
    public static final int MAX_BATCH = 1024;

    private final TracerConfig config;
    private final ProbeMode probe;
    private final Transport transport;
    private final BpfModule module;
    private final BpfMap counters;
    private final EventReader reader;
    private final int possibleCpus = CpuList.possibleCount();
    private final List<ConnectEvent> batch = new ArrayList<>(MAX_BATCH);
    private final ConnectEventBatchHandler handler;
    private long delivered;

    private ConnectTracer(TracerConfig config, ProbeMode probe, Transport transport, BpfModule module,
            ConnectEventBatchHandler handler, String host) {
        this.config = config;
        this.probe = probe;
        this.transport = transport;
        this.module = module;
        this.handler = handler;
        this.counters = module.map("counters");
        ConnectEventDecoder decoder = new ConnectEventDecoder(new KernelClock(), host);
        BpfMap events = module.map("events");
        this.reader = transport == Transport.RINGBUF
                ? new RingBufferReader(events, (data, size) -> add(decoder.decode(data, size)))
                : openPerfBuffers(events, perfPagesPerCpu(config.bufferPages()),
                        (data, size) -> add(decoder.decode(data, size)));
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
    public static ConnectTracer open(TracerConfig config, Path cacheDir, String host,
            ConnectEventBatchHandler handler) {
        KernelSupport.requirePrivileges();
        KernelSupport.requireTracefs();
        ProbeMode probe = resolveProbe(config.probe());
        Transport transport = resolveTransport(config.transport());
        KernelHeaders.Status headers = KernelHeaders.prepare(cacheDir);
        if (probe == ProbeMode.KPROBE && headers == KernelHeaders.Status.MERGED_MISMATCHED) {
            LOG.warn("kprobe mode with headers of another kernel: struct sock offsets may be wrong, so addresses "
                    + "and ports may be garbage. Use probe=tracepoint or install matching headers.");
        }
        String source = readSource(config.bpfSource());
        long started = System.nanoTime();
        BpfModule module = BpfModule.compile(source, sourceName(config.bpfSource()), cflags(config, probe, transport));
        Libc.malloc_trim(0);
        LOG.info("compiled {} for {} probe with {} transport in {} ms", sourceName(config.bpfSource()),
                probe.name().toLowerCase(Locale.ROOT), transport.name().toLowerCase(Locale.ROOT), (System.nanoTime() - started) / 1_000_000);
        ConnectTracer tracer = null;
        try {
            loadFilters(module, config);
            tracer = new ConnectTracer(config, probe, transport, module, handler, host);
            tracer.attach();
            return tracer;
        } catch (RuntimeException e) {
            if (tracer != null) {
                tracer.close();
            } else {
                module.close();
            }
            throw e;
        }
    }

    /** Attaches the probes (again, after {@link #detach()}). */
    public void attach() {
        module.detachAll();
        try {
            if (probe == ProbeMode.TRACEPOINT) {
                module.attachTracepoint("tcp", "tcp_receive_reset", "tracepoint__tcp__tcp_receive_reset");
                module.attachTracepoint("sock", "inet_sock_set_state", "tracepoint__sock__inet_sock_set_state");
            } else {
                for (String fn : kprobeFunctions(config.ipVersion())) {
                    module.attachKprobe(fn, "kprobe_connect_entry", false);
                    module.attachKprobe(fn, "kprobe_connect_return", true);
                }
            }
        } catch (RuntimeException e) {
            module.detachAll();
            throw e;
        }
        LOG.info("attached {}", module.attachments().stream().map(BpfModule.Attachment::description).toList());
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

    /** Waits up to {@code timeoutMs} for events and hands all available ones on. */
    public void poll(int timeoutMs) {
        reader.poll(timeoutMs);
        flush();
    }

    /** Hands on every event already in the buffer without waiting. */
    public void drain() {
        reader.drain();
        flush();
    }

    public KernelCounters counters() {
        return new KernelCounters(counters.sumPerCpu(0, possibleCpus), counters.sumPerCpu(1, possibleCpus),
                counters.sumPerCpu(2, possibleCpus), reader.kernelReportedLost());
    }

    /** Events handed to the batch handler so far. */
    public long delivered() {
        return delivered;
    }

    public ProbeMode probe() {
        return probe;
    }

    public Transport transport() {
        return transport;
    }

    public List<BpfModule.Attachment> attachments() {
        return module.attachments();
    }

    @Override
    public void close() {
        try {
            reader.close();
        } finally {
            module.close();
        }
    }

    private void add(ConnectEvent event) {
        batch.add(event);
        if (batch.size() >= MAX_BATCH) {
            flush();
        }
    }

    private void flush() {
        if (batch.isEmpty()) {
            return;
        }
        try {
            handler.onBatch(batch);
        } finally {
            delivered += batch.size();
            batch.clear();
        }
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

    static List<String> cflags(TracerConfig config, ProbeMode probe, Transport transport) {
        List<String> flags = new ArrayList<>();
        flags.add(probe == ProbeMode.TRACEPOINT ? "-DPROBE_TRACEPOINT" : "-DPROBE_KPROBE");
        if (transport == Transport.RINGBUF) {
            flags.add("-DTRANSPORT_RINGBUF");
            flags.add("-DRINGBUF_PAGES=" + config.bufferPages());
        }
        flags.add("-DPENDING_MAX=" + config.pendingMax());
        if (!excludedPids(config).isEmpty()) {
            flags.add("-DFILTER_EXCLUDE_PIDS");
        }
        if (!config.onlyPids().isEmpty()) {
            flags.add("-DFILTER_ONLY_PIDS");
        }
        if (!config.onlyUids().isEmpty()) {
            flags.add("-DFILTER_UIDS");
        }
        if (!config.destPorts().isEmpty()) {
            flags.add("-DFILTER_DPORTS");
        }
        if (config.ipVersion() != 0) {
            flags.add("-DFILTER_FAMILY=" + (config.ipVersion() == 4 ? 2 : 10));
        }
        return flags;
    }

    private static void loadFilters(BpfModule module, TracerConfig config) {
        fill(module, "excluded_pids", excludedPids(config));
        fill(module, "only_pids", config.onlyPids());
        fill(module, "only_uids", config.onlyUids());
        fill(module, "only_dports", config.destPorts());
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

    private static Set<Long> excludedPids(TracerConfig config) {
        if (!config.excludeOwnPid()) {
            return config.excludePids();
        }
        Set<Long> pids = new java.util.HashSet<>(config.excludePids());
        pids.add(ProcessHandle.current().pid());
        return pids;
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
        try {
            if (path != null) {
                return Files.readString(Path.of(path));
            }
            try (InputStream in = ConnectTracer.class.getResourceAsStream(SOURCE_RESOURCE)) {
                if (in == null) {
                    throw new BccException("bpf/tcpconnect.bpf.c is missing from the build: rebuild with ./tcptrace build");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new BccException("cannot read BPF source " + sourceName(path) + ": " + e.getMessage()
                    + ": check the bpfSource option");
        }
    }
}
