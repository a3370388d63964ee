package io.tcptrace.event;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The JSON event schema, declared once: every field an event can carry, its JSON type and the
 * event types that carry it. The JSON writer, the README's schema table, the Splunk app's
 * validation and the tests all read this list, so it cannot drift from what is written.
 *
 * <p>Names follow Splunk's Common Information Model: {@code Network_Traffic} for the connection; the
 * process context uses the names CIM gives process fields elsewhere, though the Splunk app maps
 * only Network_Traffic.
 */
public final class EventSchema {
    /** Bumped on any incompatible change to the JSON form; carried in Kafka headers and HEC fields. */
    public static final int VERSION = 2;
    public static final String VENDOR_PRODUCT = "tcptrace";

    /** Event types, in the {@code event_type} field and the {@code CamelBccEventType} header. */
    public enum Type {
        CONNECT, ACCEPT, CLOSE, UPDATE;

        private final String json = name().toLowerCase(java.util.Locale.ROOT); // once: read per event

        public String json() {
            return json;
        }
    }

    public enum Kind { STRING, INTEGER, NUMBER, BOOLEAN }

    /** Close events and the update events of connections still open carry the counts. */
    private static final Set<Type> OPEN_AND_CLOSED = EnumSet.of(Type.CLOSE, Type.UPDATE);

    /**
     * Fields in the order they are written. Context fields are written only when known. The
     * unbounded ones come last, the command line the very last: Splunk extracts JSON fields from
     * an event's first bytes only, so a long event loses at most those.
     */
    public enum Field {
        TIME("time", Kind.STRING, all(), "when it happened (connect: connect() began; accept: established; close: closed; update: when the counts were read), ISO-8601 UTC, microseconds"),
        EVENT_TYPE("event_type", Kind.STRING, all(), "`connect`, `accept`, `close` or `update`"),
        ACTION("action", Kind.STRING, all(), "`allowed` (established, or still open: update), `blocked` (refused or failed), `teardown` (close)"),
        DIRECTION("direction", Kind.STRING, all(), "`outbound` (this host initiated) or `inbound`"),
        TRANSPORT("transport", Kind.STRING, all(), "`tcp`"),
        IP_VERSION("ip_version", Kind.INTEGER, all(), "4 or 6 (IPv4-mapped IPv6 is reported as 4)"),
        SRC_IP("src_ip", Kind.STRING, all(), "initiating side's address"),
        SRC_PORT("src_port", Kind.INTEGER, all(), "initiating side's port"),
        DEST_IP("dest_ip", Kind.STRING, all(), "accepting side's address"),
        DEST_PORT("dest_port", Kind.INTEGER, all(), "accepting side's port"),
        DEST_HOST("dest_host", Kind.STRING, all(), "the name the connecting program looked up to get `dest_ip`: the question of a DNS answer that gave this address in the connection's network namespace, still within its TTL (held between `tcptrace.dest-host-ttl-min` and `-max`), lower-cased, without the final dot; for a CNAME chain, the name asked for. Updates and the close carry the connect's or accept's name. Absent where no such answer was seen (see [Destination names](#destination-names))"),
        COMMUNITY_ID("community_id", Kind.STRING, all(), "the connection's Community ID v1 (`1:` and a base64 SHA-1; seed `tcptrace.community-id-seed`, default 0): the same on every event of one connection and in Zeek's, Suricata's and Auditbeat's records of it; absent with `tcptrace.community-id=false`"),
        PROCESS_ID("process_id", Kind.INTEGER, all(), "process (tgid) that opened or accepted the connection"),
        THREAD_ID("thread_id", Kind.INTEGER, all(), "its thread"),
        PROCESS_NAME("process_name", Kind.STRING, all(), "its `comm`, up to 15 bytes"),
        USER_ID("user_id", Kind.INTEGER, all(), "its user id"),
        CGROUP_ID("cgroup_id", Kind.INTEGER, all(), "its cgroup v2 id"),
        NETNS("netns", Kind.INTEGER, all(), "the connection's network namespace: its inode number, as `/proc/PID/ns/net` shows it (the host's own is the one `readlink /proc/1/ns/net` shows); absent where the kernel's BTF lacks `sock_common.skc_net` or `net.ns.inum`"),
        HOST("host", Kind.STRING, all(), "host name of the traced machine"),
        OUTCOME("outcome", Kind.STRING, EnumSet.of(Type.CONNECT), "`established`, `refused` or `failed` (tracepoint mode)"),
        CONNECT_LATENCY_US("connect_latency_us", Kind.INTEGER, EnumSet.of(Type.CONNECT), "connect() to outcome, microseconds (tracepoint mode)"),
        SYN_RETRIES("syn_retries", Kind.INTEGER, EnumSet.of(Type.CONNECT), "times the SYN was sent again before the outcome (`tcp_sock.total_retrans`): on every connect that `failed` or was `refused`, and on established ones that needed a retry (tracepoint mode)"),
        DURATION("duration", Kind.NUMBER, OPEN_AND_CLOSED, "seconds from established to closed (update: so far), microsecond precision"),
        PREEXISTING("preexisting", Kind.BOOLEAN, OPEN_AND_CLOSED, "`true` when the connection was open before tcptrace started (found by its start-up scan, or again after a resume): its `duration` and counts then run from that scan, not from the connection's start; absent otherwise"),
        BYTES_IN("bytes_in", Kind.INTEGER, OPEN_AND_CLOSED, "bytes received by this side"),
        BYTES_OUT("bytes_out", Kind.INTEGER, OPEN_AND_CLOSED, "bytes sent by this side and acknowledged by the peer"),
        BYTES("bytes", Kind.INTEGER, OPEN_AND_CLOSED, "bytes_in + bytes_out"),
        RTT("rtt", Kind.NUMBER, OPEN_AND_CLOSED, "smoothed round-trip time, milliseconds, microsecond precision (`tcp_sock.srtt_us`, as `ss -i` shows it)"),
        RTT_VAR("rtt_var", Kind.NUMBER, OPEN_AND_CLOSED, "its mean deviation, milliseconds (`tcp_sock.mdev_us`)"),
        RETRANSMITS("retransmits", Kind.INTEGER, OPEN_AND_CLOSED, "segments retransmitted (`tcp_sock.total_retrans`)"),
        PACKETS_IN("packets_in", Kind.INTEGER, OPEN_AND_CLOSED, "segments received, the handshake's included (`tcp_sock.segs_in`)"),
        PACKETS_OUT("packets_out", Kind.INTEGER, OPEN_AND_CLOSED, "segments sent, the handshake's and retransmissions included (`tcp_sock.segs_out`)"),
        PARENT_PROCESS_ID("parent_process_id", Kind.INTEGER, all(), "parent process id (when known)"),
        PARENT_PROCESS_NAME("parent_process_name", Kind.STRING, all(), "parent's name (when known)"),
        USER("user", Kind.STRING, all(), "user name of user_id (when known)"),
        SERVICE("service", Kind.STRING, all(), "systemd unit, from the cgroup path (when it shows one)"),
        CONTAINER_ID("container_id", Kind.STRING, all(), "container id, from the cgroup path (when it shows one)"),
        POD_UID("pod_uid", Kind.STRING, all(), "Kubernetes pod uid, from the cgroup path (when it shows one)"),
        K8S_NAMESPACE("k8s_namespace", Kind.STRING, all(), "the pod's namespace (on a Kubernetes node, when the API server or the kubelet's logs name the pod)"),
        K8S_POD_NAME("k8s_pod_name", Kind.STRING, all(), "the pod's name (same source)"),
        K8S_CONTAINER_NAME("k8s_container_name", Kind.STRING, all(), "the container's name in its pod (same source, by container id)"),
        K8S_WORKLOAD_KIND("k8s_workload_kind", Kind.STRING, all(), "the kind of the workload that owns the pod: `Deployment` (named through its ReplicaSet), `StatefulSet`, `DaemonSet`, `Job`... (when the API server is asked)"),
        K8S_WORKLOAD_NAME("k8s_workload_name", Kind.STRING, all(), "that workload's name (same source)"),
        K8S_NODE_NAME("k8s_node_name", Kind.STRING, all(), "the node's name (the downward API's `spec.nodeName`, `TCPTRACE_K8S_NODE_NAME`), on events of processes in a pod"),
        PROBE("probe", Kind.STRING, all(), "`tracepoint` or `kprobe`"),
        VENDOR_PRODUCT_FIELD("vendor_product", Kind.STRING, all(), "`tcptrace`"),
        SCHEMA_VERSION("schema_version", Kind.INTEGER, all(), "`2`"),
        PROCESS_PATH("process_path", Kind.STRING, all(), "executable's full path (when known)"),
        CGROUP("cgroup", Kind.STRING, all(), "cgroup v2 path (when known)"),
        PROCESS("process", Kind.STRING, all(), "command line (when known and tcptrace.cmdline=true)");

        private final String json;
        private final Kind kind;
        private final Set<Type> types;
        private final String meaning;

        Field(String json, Kind kind, Set<Type> types, String meaning) {
            this.json = json;
            this.kind = kind;
            this.types = types;
            this.meaning = meaning;
        }

        public String json() {
            return json;
        }

        public Kind kind() {
            return kind;
        }

        public Set<Type> types() {
            return types;
        }

        public String meaning() {
            return meaning;
        }
    }

    private EventSchema() {
    }

    private static Set<Type> all() {
        return EnumSet.allOf(Type.class);
    }

    /** Every JSON field name an event can carry. */
    public static List<String> fieldNames() {
        return Arrays.stream(Field.values()).map(Field::json).toList();
    }
}
