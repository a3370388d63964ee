package io.tcptrace.camel;

import org.apache.camel.spi.Metadata;

/** Message headers set by the {@code bcc:} consumer on every exchange. */
public final class BccConstants {
    @Metadata(description = "Process id (tgid) of the connecting process", javaType = "long")
    public static final String PID = "CamelBccPid";
    @Metadata(description = "Thread id of the connecting thread", javaType = "long")
    public static final String TID = "CamelBccTid";
    @Metadata(description = "Name (comm) of the connecting thread", javaType = "String")
    public static final String PROCESS_NAME = "CamelBccProcessName";
    @Metadata(description = "User id of the connecting process", javaType = "long")
    public static final String UID = "CamelBccUid";
    @Metadata(description = "IP version, 4 or 6", javaType = "int")
    public static final String IP_VERSION = "CamelBccIpVersion";
    @Metadata(description = "Source address as text", javaType = "String")
    public static final String SRC_IP = "CamelBccSrcIp";
    @Metadata(description = "Source port", javaType = "int")
    public static final String SRC_PORT = "CamelBccSrcPort";
    @Metadata(description = "Destination address as text", javaType = "String")
    public static final String DEST_IP = "CamelBccDestIp";
    @Metadata(description = "Destination port", javaType = "int")
    public static final String DEST_PORT = "CamelBccDestPort";
    @Metadata(description = "Wall-clock time the connect began", javaType = "java.time.Instant")
    public static final String TIME = "CamelBccTime";
    @Metadata(description = "Connect outcome (established, refused, failed); absent in kprobe mode",
              javaType = "String")
    public static final String OUTCOME = "CamelBccOutcome";
    @Metadata(description = "Connect latency in microseconds; absent in kprobe mode", javaType = "Long")
    public static final String LATENCY_MICROS = "CamelBccLatencyMicros";
    @Metadata(description = "Running total of events lost in the kernel (buffer full or untracked) so far",
              javaType = "long")
    public static final String LOST_TOTAL = "CamelBccLostTotal";
    @Metadata(description = "True on the last exchange of a kernel poll batch: a cue for sinks to flush",
              javaType = "boolean")
    public static final String BATCH_END = "CamelBccBatchEnd";

    private BccConstants() {
    }
}
