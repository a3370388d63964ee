package io.tcptrace.camel;

import org.apache.camel.spi.Metadata;

/**
 * Message headers of every {@code bcc:} exchange. They are answered from the event itself when
 * a route asks ({@link BccHeaders}), so a header nobody reads costs nothing.
 */
public final class BccConstants {
    @Metadata(description = "Event type: connect, accept or close", javaType = "String")
    public static final String EVENT_TYPE = "CamelBccEventType";
    @Metadata(description = "outbound (this host initiated the connection) or inbound", javaType = "String")
    public static final String DIRECTION = "CamelBccDirection";
    @Metadata(description = "Process id (tgid) that opened or accepted the connection", javaType = "long")
    public static final String PID = "CamelBccPid";
    @Metadata(description = "Its thread id", javaType = "long")
    public static final String TID = "CamelBccTid";
    @Metadata(description = "Its name (comm)", javaType = "String")
    public static final String PROCESS_NAME = "CamelBccProcessName";
    @Metadata(description = "Its executable's full path; absent when not known or the process context is off",
              javaType = "String")
    public static final String PROCESS_PATH = "CamelBccProcessPath";
    @Metadata(description = "Its systemd unit, from its cgroup path; absent when the path shows none", javaType = "String")
    public static final String SERVICE = "CamelBccService";
    @Metadata(description = "Its container's id, from its cgroup path; absent when the path shows none",
              javaType = "String")
    public static final String CONTAINER_ID = "CamelBccContainerId";
    @Metadata(description = "The connection's network namespace (inode number); absent where the kernel's BTF cannot "
              + "tell it", javaType = "long")
    public static final String NETNS = "CamelBccNetns";
    @Metadata(description = "Its user id", javaType = "long")
    public static final String UID = "CamelBccUid";
    @Metadata(description = "IP version, 4 or 6", javaType = "int")
    public static final String IP_VERSION = "CamelBccIpVersion";
    @Metadata(description = "Initiating side's address as text", javaType = "String")
    public static final String SRC_IP = "CamelBccSrcIp";
    @Metadata(description = "Initiating side's port", javaType = "int")
    public static final String SRC_PORT = "CamelBccSrcPort";
    @Metadata(description = "Accepting side's address as text", javaType = "String")
    public static final String DEST_IP = "CamelBccDestIp";
    @Metadata(description = "Accepting side's port", javaType = "int")
    public static final String DEST_PORT = "CamelBccDestPort";
    @Metadata(description = "The name a DNS answer gave the accepting side's address (dest_host); absent when unknown",
              javaType = "String")
    public static final String DEST_HOST = "CamelBccDestHost";
    @Metadata(description = "Wall-clock time of the event, microseconds since the epoch", javaType = "long")
    public static final String TIME = "CamelBccTime";
    @Metadata(description = "Connect outcome (established, refused, failed); connect events in tracepoint mode only",
              javaType = "String")
    public static final String OUTCOME = "CamelBccOutcome";
    @Metadata(description = "Connect latency in microseconds; connect events in tracepoint mode only",
              javaType = "Long")
    public static final String LATENCY_MICROS = "CamelBccLatencyMicros";
    @Metadata(description = "Connection duration in microseconds; close events only", javaType = "Long")
    public static final String DURATION_MICROS = "CamelBccDurationMicros";
    @Metadata(description = "Bytes received by this side; close events only", javaType = "Long")
    public static final String BYTES_IN = "CamelBccBytesIn";
    @Metadata(description = "Bytes sent by this side and acknowledged; close events only", javaType = "Long")
    public static final String BYTES_OUT = "CamelBccBytesOut";
    @Metadata(description = "Running total of events lost in the kernel so far (as last read, at most 1 s old)",
              javaType = "long")
    public static final String LOST_TOTAL = "CamelBccLostTotal";
    @Metadata(description = "True on the last exchange of a kernel poll batch: a cue for sinks to flush",
              javaType = "boolean")
    public static final String BATCH_END = "CamelBccBatchEnd";

    private BccConstants() {
    }
}
