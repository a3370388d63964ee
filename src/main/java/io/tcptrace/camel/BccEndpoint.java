package io.tcptrace.camel;

import io.tcptrace.event.HostName;
import io.tcptrace.kernel.KernelCounters;
import io.tcptrace.kernel.ProbeMode;
import io.tcptrace.kernel.TracerConfig;
import io.tcptrace.kernel.Transport;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * Traces TCP connects in the kernel and emits one exchange per connect. Every option maps to
 * a {@link TracerConfig} field, checked when the endpoint is created.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "bcc", title = "BCC", syntax = "bcc:program", consumerOnly = true,
             category = {Category.MONITORING}, headersClass = BccConstants.class)
public class BccEndpoint extends DefaultEndpoint {
    @UriPath(description = "The BPF program to run; tcpconnect traces active TCP opens (connect)")
    @Metadata(required = true, enums = "tcpconnect")
    private String program;
    @UriParam(description = "Attach mode: tracepoint (sock:inet_sock_set_state), kprobe (tcp_v4/v6_connect), or"
                            + " auto (tracepoint when the kernel has it)",
              defaultValue = "auto", enums = "auto,tracepoint,kprobe")
    private String probe = "auto";
    @UriParam(description = "Kernel-to-user transport: ringbuf (Linux 5.8+), perf, or auto", defaultValue = "auto",
              enums = "auto,ringbuf,perf")
    private String transport = "auto";
    @UriParam(description = "Event buffer size in 4 KiB pages, a power of two; perf splits it across CPUs",
              defaultValue = "4096")
    private int bufferPages = TracerConfig.DEFAULT_BUFFER_PAGES;
    @UriParam(description = "How many connects may be in flight (SYN sent, outcome not yet known) at once",
              defaultValue = "65536")
    private int pendingMax = TracerConfig.DEFAULT_PENDING_MAX;
    @UriParam(label = "filter", description = "Drop the tracer's own connects in the kernel", defaultValue = "true")
    private boolean excludeOwnPid = true;
    @UriParam(label = "filter", description = "Comma-separated process ids to ignore")
    private String excludePids;
    @UriParam(label = "filter", description = "Comma-separated process ids: only these are traced")
    private String onlyPids;
    @UriParam(label = "filter", description = "Comma-separated user ids: only these are traced")
    private String uids;
    @UriParam(label = "filter", description = "Comma-separated destination ports: only these are traced")
    private String destPorts;
    @UriParam(label = "filter", description = "IP version to trace: any, 4 or 6", defaultValue = "any",
              enums = "any,4,6")
    private String ipVersion = "any";
    @UriParam(label = "advanced", description = "BPF C source file; empty uses the bpf/tcpconnect.bpf.c built into the jar")
    private String bpfSource;
    @UriParam(label = "advanced", description = "Cache directory (merged kernel headers)",
              defaultValue = "/var/cache/tcptrace")
    private String cacheDir = "/var/cache/tcptrace";
    @UriParam(label = "advanced", description = "Host name put in every event; empty uses the kernel's host name")
    private String hostName;
    @UriParam(label = "advanced", description = "Longest wait in one kernel poll, in milliseconds", defaultValue = "100")
    private int pollTimeout = 100;
    @UriParam(label = "advanced", description = "Shortest interval between two lost-event warnings, in milliseconds",
              defaultValue = "10000")
    private long lostWarnInterval = 10_000;

    private final AtomicLong lostTotal = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private volatile KernelCounters kernelCounters = new KernelCounters(0, 0, 0, 0);
    private volatile BooleanSupplier attached = () -> false;

    public BccEndpoint(String uri, BccComponent component) {
        super(uri, component);
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("bcc: is consumer only: use it in from(), not to()");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        BccConsumer consumer = new BccConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (!"tcpconnect".equals(program)) {
            throw new IllegalArgumentException("unknown bcc program '" + program + "': the only one is bcc:tcpconnect");
        }
        tracerConfig(); // validates every option before anything is loaded
    }

    /** The kernel-side configuration these options describe. */
    public TracerConfig tracerConfig() {
        return new TracerConfig(ProbeMode.parse(probe), Transport.parse(transport), bufferPages, pendingMax,
                excludeOwnPid, numbers(excludePids, Long::parseLong, "excludePids"),
                numbers(onlyPids, Long::parseLong, "onlyPids"), numbers(uids, Long::parseLong, "uids"),
                numbers(destPorts, Integer::parseInt, "destPorts"), parseIpVersion(ipVersion),
                bpfSource == null || bpfSource.isBlank() ? null : bpfSource);
    }

    String resolvedHostName() {
        return hostName != null && !hostName.isBlank() ? hostName : HostName.kernel();
    }

    private static int parseIpVersion(String text) {
        return switch (text.trim()) {
            case "any", "" -> 0;
            case "4" -> 4;
            case "6" -> 6;
            default -> throw new IllegalArgumentException("ipVersion=" + text + " is not valid: use any, 4 or 6");
        };
    }

    private static <T> Set<T> numbers(String csv, Function<String, T> parse, String option) {
        if (csv == null || csv.isBlank()) {
            return Set.of();
        }
        try {
            return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(parse)
                    .collect(Collectors.toSet());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + "=" + csv + " is not a comma-separated list of numbers");
        }
    }

    /** Events lost in the kernel since this endpoint's consumer started (buffer full or untracked). */
    public long getLostTotal() {
        return lostTotal.get();
    }

    AtomicLong lostTotalCounter() {
        return lostTotal;
    }

    /** The kernel's loss and filter counters as last read (at most 200 ms old while running). */
    public KernelCounters getKernelCounters() {
        return kernelCounters;
    }

    void kernelCounters(KernelCounters counters) {
        this.kernelCounters = counters;
    }

    /** Whether a consumer of this endpoint has its probes attached right now. */
    public boolean isAttached() {
        return attached.getAsBoolean();
    }

    void attachedBy(BooleanSupplier state) {
        this.attached = state;
    }

    /** Events read from the kernel. */
    public long getReceivedTotal() {
        return received.get();
    }

    AtomicLong receivedCounter() {
        return received;
    }

    public String getProgram() {
        return program;
    }

    public void setProgram(String program) {
        this.program = program;
    }

    public String getProbe() {
        return probe;
    }

    public void setProbe(String probe) {
        this.probe = probe;
    }

    public String getTransport() {
        return transport;
    }

    public void setTransport(String transport) {
        this.transport = transport;
    }

    public int getBufferPages() {
        return bufferPages;
    }

    public void setBufferPages(int bufferPages) {
        this.bufferPages = bufferPages;
    }

    public int getPendingMax() {
        return pendingMax;
    }

    public void setPendingMax(int pendingMax) {
        this.pendingMax = pendingMax;
    }

    public boolean isExcludeOwnPid() {
        return excludeOwnPid;
    }

    public void setExcludeOwnPid(boolean excludeOwnPid) {
        this.excludeOwnPid = excludeOwnPid;
    }

    public String getExcludePids() {
        return excludePids;
    }

    public void setExcludePids(String excludePids) {
        this.excludePids = excludePids;
    }

    public String getOnlyPids() {
        return onlyPids;
    }

    public void setOnlyPids(String onlyPids) {
        this.onlyPids = onlyPids;
    }

    public String getUids() {
        return uids;
    }

    public void setUids(String uids) {
        this.uids = uids;
    }

    public String getDestPorts() {
        return destPorts;
    }

    public void setDestPorts(String destPorts) {
        this.destPorts = destPorts;
    }

    public String getIpVersion() {
        return ipVersion;
    }

    public void setIpVersion(String ipVersion) {
        this.ipVersion = ipVersion;
    }

    public String getBpfSource() {
        return bpfSource;
    }

    public void setBpfSource(String bpfSource) {
        this.bpfSource = bpfSource;
    }

    public String getCacheDir() {
        return cacheDir;
    }

    public void setCacheDir(String cacheDir) {
        this.cacheDir = cacheDir;
    }

    public String getHostName() {
        return hostName;
    }

    public void setHostName(String hostName) {
        this.hostName = hostName;
    }

    public int getPollTimeout() {
        return pollTimeout;
    }

    public void setPollTimeout(int pollTimeout) {
        this.pollTimeout = pollTimeout;
    }

    public long getLostWarnInterval() {
        return lostWarnInterval;
    }

    public void setLostWarnInterval(long lostWarnInterval) {
        this.lostWarnInterval = lostWarnInterval;
    }
}
