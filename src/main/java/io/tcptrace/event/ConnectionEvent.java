package io.tcptrace.event;

import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.ProcessContext;

/**
 * One moment in a TCP connection's life seen in the kernel: it was opened by this host
 * (connect), accepted by this host (accept), it is still open (update), or it ended (close). Immutable. Written as JSON by
 * {@link EventJson} in the schema declared by {@link EventSchema}.
 *
 * <p>{@code src} is always the side that initiated the connection and {@code dest} the side that
 * accepted it, so the events of one connection share the same four values.
 *
 * @param timeMicros     wall-clock time, microseconds since the epoch
 * @param inbound        the remote side initiated the connection
 * @param netns          the socket's network namespace (its inode number); 0 when the kernel's BTF cannot tell it
 * @param outcome        connect only, tracepoint mode only; else null
 * @param latencyMicros  connect only: connect() to outcome; -1 when unknown (kprobe mode)
 * @param durationMicros close: established to closed; update: established to now; else -1
 * @param bytesIn        close and update: bytes received by this side (so far)
 * @param bytesOut       close and update: bytes this side sent and the peer acknowledged (so far)
 * @param context        the process context (executable, command line, parent, user, cgroup...),
 *                       looked up when the record was read; null when the tracer has it off
 * @param health         close: the kernel's TCP counters; connect: the SYN's retransmissions; null
 *                       where the kernel's BTF gives none of them (or kprobe mode)
 * @param communityId    the connection's Community ID v1; null when the tracer has it off
 * @param preexisting    close and update: the connection was open before the tracer started, found by
 *                       its start-up scan; its duration and counts run from that scan
 * @param destHost       the name a DNS answer in the connection's namespace gave the acceptor's
 *                       address (connect, accept; update and close keep that one); null when unknown
 */
public record ConnectionEvent(Type type, long timeMicros, boolean inbound, int ipVersion, String srcIp, int srcPort,
        String destIp, int destPort, long processId, long threadId, String processName, long userId, long cgroupId,
        long netns, String host, Outcome outcome, long latencyMicros, long durationMicros, long bytesIn, long bytesOut,
        String probe, ProcessContext.Fields context, TcpHealth health, String communityId, boolean preexisting,
        String destHost) {

    public String direction() {
        return inbound ? "inbound" : "outbound";
    }

    /** CIM Network_Traffic action: established is allowed, refused or failed is blocked, a close is teardown. */
    public String action() {
        return switch (type) {
            case CLOSE -> "teardown";
            case ACCEPT, UPDATE -> "allowed";
            case CONNECT -> outcome == Outcome.REFUSED || outcome == Outcome.FAILED ? "blocked" : "allowed";
        };
    }
}
