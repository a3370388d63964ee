package io.tcptrace.kernel;

import io.tcptrace.event.CommunityId;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.ProcessSettings;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/**
 * Everything the tracer is loaded with: the {@code bcc:} endpoint's options, handed as they are
 * to {@link ConnectTracer}. List options take comma-separated text and are kept as typed sets.
 * Each setter checks its value, so a bad option fails with one line before anything touches the
 * kernel.
 */
@UriParams
public class TracerConfiguration implements Cloneable {
    public static final int DEFAULT_BUFFER_PAGES = 8192;
    /** 512 MiB: the data area must stay addressable by a Java buffer (the perf buffers take this much per CPU). */
    public static final int MAX_BUFFER_PAGES = 131072;
    public static final int DEFAULT_PENDING_MAX = 65536;

    @UriParam(description = "Attach mode: tracepoint (sock:inet_sock_set_state), kprobe (tcp_v4/v6_connect), or"
                            + " auto (tracepoint when the kernel has it)",
              defaultValue = "auto", enums = "auto,tracepoint,kprobe", javaType = "java.lang.String")
    private ProbeMode probe = ProbeMode.AUTO;
    @UriParam(description = "In tracepoint mode, attach as a raw tracepoint where the kernel's BTF gives the socket's"
                            + " offsets: the kernel then builds no trace record per state change (about 3% of a"
                            + " loopback connect); false attaches the classic tracepoint", defaultValue = "true")
    private boolean rawTracepoint = true;
    @UriParam(description = "Kernel-to-user transport: ringbuf (Linux 5.8+), perf, or auto", defaultValue = "auto",
              enums = "auto,ringbuf,perf", javaType = "java.lang.String")
    private Transport transport = Transport.AUTO;
    @UriParam(description = "Event buffer size in 4 KiB pages, a power of two from 2 to 131072; perf splits it"
                            + " across CPUs", defaultValue = "8192")
    private int bufferPages = DEFAULT_BUFFER_PAGES;
    @UriParam(description = "How many connects may be in flight (SYN sent, outcome not yet known) at once: the"
                            + " pending map's size. With BPF atomics (Linux 5.12+, LLVM 12+) a table of slots holds most of"
                            + " them before it: as many as pendingMax, rounded down to a power of two, at most 4096",
              defaultValue = "65536")
    private int pendingMax = DEFAULT_PENDING_MAX;
    @UriParam(description = "Event types to trace, comma-separated: connect, accept, close, update; auto is all four"
                            + " where the kernel allows (close needs BTF for its byte counts, update the raw tracepoint)", defaultValue = "auto",
              javaType = "java.lang.String")
    private Set<Type> events = EnumSet.allOf(Type.class);
    private boolean eventsExplicit;
    @UriParam(description = "How many established connections can be tracked at once (for their close event)",
              defaultValue = "65536")
    private int connMax = DEFAULT_PENDING_MAX;
    @UriParam(label = "filter", description = "Drop the tracer's own connects in the kernel", defaultValue = "true")
    private boolean excludeOwnPid = true;
    @UriParam(label = "filter", description = "Comma-separated process ids to ignore", javaType = "java.lang.String")
    private Set<Long> excludePids = Set.of();
    @UriParam(label = "filter", description = "Comma-separated process ids: only these are traced",
              javaType = "java.lang.String")
    private Set<Long> onlyPids = Set.of();
    @UriParam(label = "filter", description = "Comma-separated user ids: only these are traced",
              javaType = "java.lang.String")
    private Set<Long> uids = Set.of();
    @UriParam(label = "filter", description = "Comma-separated destination ports: only these are traced",
              javaType = "java.lang.String")
    private Set<Integer> destPorts = Set.of();
    @UriParam(label = "filter", description = "IP version to trace: any, 4 or 6", defaultValue = "any",
              enums = "any,4,6", javaType = "java.lang.String")
    private int ipVersion;
    @UriParam(label = "advanced", description = "BPF C source file; empty uses the bpf/tcpconnect.bpf.c built into the jar")
    private String bpfSource;
    @UriParam(label = "advanced", description = "Cache directory (merged kernel headers)",
              defaultValue = "/var/cache/tcptrace")
    @Metadata(javaType = "java.lang.String")
    private String cacheDir = "/var/cache/tcptrace";
    @UriParam(label = "advanced", description = "Host name put in every event; empty uses the kernel's host name")
    private String hostName;
    @UriParam(label = "advanced", description = "Longest wait in one kernel poll, in milliseconds", defaultValue = "100")
    private int pollTimeout = 100;
    @UriParam(label = "advanced", description = "Shortest interval between two lost-event warnings, in milliseconds",
              defaultValue = "10000")
    private long lostWarnInterval = 10_000;
    @UriParam(label = "advanced", description = "Raise the poll thread to nice 0 while the kernel buffer is more"
                            + " than half full, back to the process's nice once drained (needs CAP_SYS_NICE or"
                            + " RLIMIT_NICE, e.g. LimitNICE=+0 in the systemd unit)", defaultValue = "true")
    private boolean boostPriority = true;
    @UriParam(label = "process", description = "Add the process context to every event: executable, command line,"
                            + " parent, user name, cgroup, systemd service, container and pod (from the kernel's"
                            + " exec/fork/exit records and /proc)", defaultValue = "true")
    private boolean processContext = true;
    @UriParam(label = "process", description = "Report command lines (the process field); they can hold secrets."
                            + " false leaves the field out and the kernel reads no arguments", defaultValue = "true")
    private boolean cmdline = true;
    @UriParam(label = "process", description = "Cut command lines to this many bytes (16 to 32768)",
              defaultValue = "1024")
    private int cmdlineMaxBytes = 1024;
    @UriParam(label = "process", description = "The kubelet's log root: on a Kubernetes node its pods/ and"
                            + " containers/ name the pod, namespace and container of a process in a pod; where"
                            + " pods/ does not exist, no names are looked up", defaultValue = "/var/log")
    private String kubernetesLogDir = "/var/log";
    @UriParam(label = "process", description = "This Kubernetes node's name (the downward API's spec.nodeName), put"
                            + " in the events of processes in pods as k8s_node_name; empty: not set")
    private String kubernetesNodeName;
    @UriParam(label = "process", description = "Watch this node's pods on the Kubernetes API server for their names"
                            + " and owning workloads: auto (inside a cluster when kubernetesNodeName is set), true"
                            + " or false", defaultValue = "auto", enums = "auto,true,false")
    private String kubernetesApi = "auto";
    @UriParam(label = "process", description = "Processes remembered in the process cache (exited ones are evicted"
                            + " first, then the least recently used)", defaultValue = "65536")
    private int processCacheMax = 65536;
    @UriParam(label = "process", description = "Longest an event waits for a context lookup that misses the caches"
                            + " (/proc, the cgroup tree, the user database), in milliseconds; a slower lookup finishes"
                            + " in the background and serves the next event", defaultValue = "5")
    private int processLookupBudget = 5;
    @UriParam(description = "Seconds between two update events of a connection that stays open (its counts so"
                            + " far); 0 turns update events off", defaultValue = "60")
    private int updateInterval = 60;
    @UriParam(label = "schema", description = "Put each connection's Community ID (v1) in its events, the flow hash"
                            + " Zeek, Suricata and Auditbeat share", defaultValue = "true")
    private boolean communityId = true;
    @UriParam(label = "schema", description = "The Community ID's seed, 0 to 65535: keep the one the other tools"
                            + " that report these flows use (theirs is 0 unless changed)", defaultValue = "0")
    private int communityIdSeed;
    @UriParam(label = "names", description = "Name each connection's destination from the DNS answers its namespace"
                            + " received (dest_host): auto (where the kernel and the privileges allow, else one line"
                            + " says why not), true (required: the start fails without it) or false",
                            defaultValue = "auto", enums = "auto,true,false")
    private String destHost = "auto";
    @UriParam(label = "names", description = "Shortest time a DNS answer names its addresses, in seconds, whatever its"
                            + " TTL (programs keep answers longer than short TTLs say)", defaultValue = "30")
    private int destHostTtlMin = 30;
    @UriParam(label = "names", description = "Longest time a DNS answer names its addresses, in seconds, whatever its"
                            + " TTL", defaultValue = "3600")
    private int destHostTtlMax = 3600;
    @UriParam(label = "names", description = "Addresses the name cache holds at most (the oldest answer goes first,"
                            + " counted)", defaultValue = "65536")
    private int destHostCacheEntries = 65_536;
    @UriParam(label = "names", description = "Memory the name cache may take, in MiB (the oldest answer goes first,"
                            + " counted)", defaultValue = "16")
    private int destHostCacheMb = 16;

    public TracerConfiguration copy() {
        try {
            return (TracerConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public ProbeMode getProbe() {
        return probe;
    }

    public void setProbe(String text) {
        this.probe = ProbeMode.parse(text);
    }

    public void setProbe(ProbeMode probe) {
        this.probe = probe;
    }

    public boolean isRawTracepoint() {
        return rawTracepoint;
    }

    public void setRawTracepoint(boolean rawTracepoint) {
        this.rawTracepoint = rawTracepoint;
    }

    public Transport getTransport() {
        return transport;
    }

    public void setTransport(String text) {
        this.transport = Transport.parse(text);
    }

    public void setTransport(Transport transport) {
        this.transport = transport;
    }

    public int getBufferPages() {
        return bufferPages;
    }

    public void setBufferPages(int pages) {
        if (pages < 2 || pages > MAX_BUFFER_PAGES || Integer.bitCount(pages) != 1) {
            throw new IllegalArgumentException("bufferPages=" + pages + " is not a power of two from 2 to "
                    + MAX_BUFFER_PAGES + ": use 1024 (4 MiB), 8192 (32 MiB, the default), 32768 (128 MiB)...");
        }
        this.bufferPages = pages;
    }

    public int getPendingMax() {
        return pendingMax;
    }

    public void setPendingMax(int pendingMax) {
        if (pendingMax < 1) {
            throw new IllegalArgumentException("pendingMax=" + pendingMax + " must be at least 1");
        }
        this.pendingMax = pendingMax;
    }

    public Set<Type> getEvents() {
        return events;
    }

    /** Whether the event types were chosen by the user rather than left to auto. */
    public boolean isEventsExplicit() {
        return eventsExplicit;
    }

    public void setEvents(String csv) {
        if (csv == null || csv.isBlank() || csv.trim().equals("auto")) {
            events = EnumSet.allOf(Type.class);
            eventsExplicit = false;
            return;
        }
        EnumSet<Type> chosen = EnumSet.noneOf(Type.class);
        for (String name : csv.split(",")) {
            if (name.isBlank()) {
                continue;
            }
            try {
                chosen.add(Type.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("events: unknown event type '" + name.trim()
                        + "': use connect, accept, close, update (comma-separated) or auto");
            }
        }
        events = chosen;
        eventsExplicit = true;
    }

    /** Drops one type chosen by auto that this kernel cannot give. */
    public void withoutEvent(Type type) {
        EnumSet<Type> rest = EnumSet.copyOf(events);
        rest.remove(type);
        events = rest;
    }

    public int getConnMax() {
        return connMax;
    }

    public void setConnMax(int connMax) {
        if (connMax < 1) {
            throw new IllegalArgumentException("connMax=" + connMax + " must be at least 1");
        }
        this.connMax = connMax;
    }

    public boolean isExcludeOwnPid() {
        return excludeOwnPid;
    }

    public void setExcludeOwnPid(boolean excludeOwnPid) {
        this.excludeOwnPid = excludeOwnPid;
    }

    public Set<Long> getExcludePids() {
        return excludePids;
    }

    public void setExcludePids(String csv) {
        this.excludePids = within(numbers(csv, Long::parseLong, "excludePids"), "excludePids", 1, PID_MAX, csv);
    }

    public Set<Long> getOnlyPids() {
        return onlyPids;
    }

    public void setOnlyPids(String csv) {
        this.onlyPids = within(numbers(csv, Long::parseLong, "onlyPids"), "onlyPids", 1, PID_MAX, csv);
    }

    public Set<Long> getUids() {
        return uids;
    }

    public void setUids(String csv) {
        // (uid_t) -1 is no user: the kernel never reports it
        this.uids = within(numbers(csv, Long::parseLong, "uids"), "uids", 0, 4_294_967_294L, csv);
    }

    public Set<Integer> getDestPorts() {
        return destPorts;
    }

    public void setDestPorts(String csv) {
        Set<Integer> ports = numbers(csv, Integer::parseInt, "destPorts");
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("destPorts: port " + port + " is out of range 1-65535");
            }
        }
        this.destPorts = ports;
    }

    /** 0 for both, 4 or 6. */
    public int getIpVersion() {
        return ipVersion;
    }

    public void setIpVersion(String text) {
        this.ipVersion = switch (text == null ? "" : text.trim()) {
            case "any", "" -> 0;
            case "4" -> 4;
            case "6" -> 6;
            default -> throw new IllegalArgumentException("ipVersion=" + text + " is not valid: use any, 4 or 6");
        };
    }

    /** Null for the copy of bpf/tcpconnect.bpf.c inside the jar. */
    public String getBpfSource() {
        return bpfSource == null || bpfSource.isBlank() ? null : bpfSource;
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
        if (pollTimeout < 1) {
            throw new IllegalArgumentException("pollTimeout=" + pollTimeout + " must be at least 1 ms");
        }
        this.pollTimeout = pollTimeout;
    }

    public long getLostWarnInterval() {
        return lostWarnInterval;
    }

    public void setLostWarnInterval(long lostWarnInterval) {
        this.lostWarnInterval = lostWarnInterval;
    }

    public boolean isBoostPriority() {
        return boostPriority;
    }

    public void setBoostPriority(boolean boostPriority) {
        this.boostPriority = boostPriority;
    }

    public boolean isProcessContext() {
        return processContext;
    }

    public void setProcessContext(boolean processContext) {
        this.processContext = processContext;
    }

    public int getUpdateInterval() {
        return updateInterval;
    }

    public void setUpdateInterval(int seconds) {
        if (seconds < 0 || seconds > 86_400) {
            throw new IllegalArgumentException("updateInterval=" + seconds + " is out of range: use seconds from 1 to"
                    + " 86400, or 0 for no update events");
        }
        this.updateInterval = seconds;
    }

    public boolean isCommunityId() {
        return communityId;
    }

    public void setCommunityId(boolean communityId) {
        this.communityId = communityId;
    }

    public int getCommunityIdSeed() {
        return communityIdSeed;
    }

    public void setCommunityIdSeed(int seed) {
        new CommunityId(seed);   // its range check, one message for both places that take a seed
        this.communityIdSeed = seed;
    }

    public String getDestHost() {
        return destHost;
    }

    public void setDestHost(String mode) {
        if (!java.util.Set.of("auto", "true", "false").contains(mode)) {
            throw new IllegalArgumentException("destHost=" + mode + " is not one of auto, true, false");
        }
        this.destHost = mode;
    }

    public int getDestHostTtlMin() {
        return destHostTtlMin;
    }

    public void setDestHostTtlMin(int seconds) {
        this.destHostTtlMin = checkRange("destHostTtlMin", seconds, 0, 86_400, "seconds");
    }

    public int getDestHostTtlMax() {
        return destHostTtlMax;
    }

    public void setDestHostTtlMax(int seconds) {
        this.destHostTtlMax = checkRange("destHostTtlMax", seconds, 1, 604_800, "seconds");
    }

    public int getDestHostCacheEntries() {
        return destHostCacheEntries;
    }

    public void setDestHostCacheEntries(int entries) {
        this.destHostCacheEntries = checkRange("destHostCacheEntries", entries, 1, 4_194_304, "addresses");
    }

    public int getDestHostCacheMb() {
        return destHostCacheMb;
    }

    public void setDestHostCacheMb(int mib) {
        this.destHostCacheMb = checkRange("destHostCacheMb", mib, 1, 1024, "MiB");
    }

    private static int checkRange(String option, int value, int min, int max, String unit) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + "=" + value + " is out of range: use " + min + " to " + max
                    + " " + unit);
        }
        return value;
    }

    /** How names are kept, checked where its settings meet (the floor may not exceed the ceiling). */
    public io.tcptrace.names.NameSettings nameSettings() {
        if (destHostTtlMin > destHostTtlMax) {
            throw new IllegalArgumentException("destHostTtlMin=" + destHostTtlMin + " is above destHostTtlMax="
                    + destHostTtlMax + ": the TTL floor must not exceed its ceiling");
        }
        return new io.tcptrace.names.NameSettings(destHostTtlMin, destHostTtlMax, destHostCacheEntries,
                (long) destHostCacheMb << 20, getConnMax());
    }

    public boolean isCmdline() {
        return cmdline;
    }

    public void setCmdline(boolean cmdline) {
        this.cmdline = cmdline;
    }

    public int getCmdlineMaxBytes() {
        return cmdlineMaxBytes;
    }

    public void setCmdlineMaxBytes(int bytes) {
        if (bytes < 16 || bytes > ProcessSettings.CMDLINE_MAX_LIMIT) {
            throw new IllegalArgumentException("cmdlineMaxBytes=" + bytes + " is out of range: use 16 to "
                    + ProcessSettings.CMDLINE_MAX_LIMIT + " (tcptrace.cmdline-max-bytes)");
        }
        this.cmdlineMaxBytes = bytes;
    }

    public int getProcessCacheMax() {
        return processCacheMax;
    }

    public void setProcessCacheMax(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("processCacheMax=" + max + " must be at least 1"
                    + " (tcptrace.process-cache-max)");
        }
        this.processCacheMax = max;
    }

    public int getProcessLookupBudget() {
        return processLookupBudget;
    }

    public void setProcessLookupBudget(int millis) {
        if (millis < 0 || millis > 10_000) {
            throw new IllegalArgumentException("processLookupBudget=" + millis + " must be 0 to 10000 ms"
                    + " (tcptrace.process-lookup-budget-ms)");
        }
        this.processLookupBudget = millis;
    }

    public String getKubernetesLogDir() {
        return kubernetesLogDir;
    }

    public void setKubernetesLogDir(String dir) {
        if (dir == null || dir.isBlank() || !dir.startsWith("/")) {
            throw new IllegalArgumentException("kubernetesLogDir='" + dir + "' must be an absolute path, the kubelet's"
                    + " log root such as /var/log (tcptrace.k8s.log-dir)");
        }
        this.kubernetesLogDir = dir;
    }

    public String getKubernetesNodeName() {
        return kubernetesNodeName;
    }

    public void setKubernetesNodeName(String name) {
        if (name != null && !name.isEmpty() && !name.matches("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")) {
            throw new IllegalArgumentException("kubernetesNodeName='" + name + "' is not a Kubernetes node name"
                    + " (lower-case letters, digits, '-' and '.'; tcptrace.k8s.node-name): give spec.nodeName");
        }
        this.kubernetesNodeName = name == null || name.isEmpty() ? null : name;
    }

    public String getKubernetesApi() {
        return kubernetesApi;
    }

    public void setKubernetesApi(String mode) {
        if (!java.util.Set.of("auto", "true", "false").contains(mode)) {
            throw new IllegalArgumentException("kubernetesApi='" + mode + "' must be auto, true or false"
                    + " (tcptrace.k8s.api)");
        }
        this.kubernetesApi = mode;
    }

    /** The process context's settings from these options (the rest at their defaults). */
    public ProcessSettings processSettings() {
        if ("true".equals(kubernetesApi) && kubernetesNodeName == null) {
            throw new IllegalArgumentException("kubernetesApi=true needs this node's name: set tcptrace.k8s.node-name"
                    + " (TCPTRACE_K8S_NODE_NAME, from the downward API's spec.nodeName)");
        }
        return ProcessSettings.defaults().withCmdline(cmdline, cmdlineMaxBytes).withProcessCacheMax(processCacheMax)
                .withBudgetMillis(processLookupBudget)
                .withKubernetes(new ProcessSettings.Kubernetes(java.nio.file.Path.of(kubernetesLogDir), kubernetesNodeName,
                        io.tcptrace.kubernetes.PodDirectory.ApiMode.valueOf(kubernetesApi.toUpperCase(java.util.Locale.ROOT))));
    }

    /** Linux's PID_MAX_LIMIT: no pid is above it. */
    private static final long PID_MAX = 4_194_304;

    /** The ids when each is within [min, max]; else one line naming the option, the list as given and the range. */
    private static Set<Long> within(Set<Long> ids, String option, long min, long max, String csv) {
        for (long id : ids) {
            if (id < min || id > max) {
                throw new IllegalArgumentException(option + "=" + csv + ": " + id + " is out of range " + min + " to "
                        + max);
            }
        }
        return ids;
    }

    private static <T> Set<T> numbers(String csv, Function<String, T> parse, String option) {
        if (csv == null || csv.isBlank()) {
            return Set.of();
        }
        try {
            return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(parse)
                    .collect(Collectors.toUnmodifiableSet());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + "=" + csv + " is not a comma-separated list of numbers");
        }
    }
}
