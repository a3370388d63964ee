package io.tcptrace.kernel;

import io.tcptrace.bcc.RecordHandler;
import io.tcptrace.event.CommunityId;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.event.IpText;
import io.tcptrace.event.Outcome;
import io.tcptrace.event.TcpHealth;
import io.tcptrace.kernel.btf.KernelOffsets;
import io.tcptrace.names.DestinationNames;
import io.tcptrace.names.DnsAnswers;
import io.tcptrace.process.ProcessContext;
import io.tcptrace.process.ProcessRecords;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Decodes {@code struct event_t} of bpf/tcpconnect.bpf.c straight from the buffer the kernel
 * wrote (little endian) into {@link ConnectionEvent}s. The offsets are the ones the C side
 * asserts with {@code _Static_assert(offsetof(...))}; RecordLayoutTest holds the two together.
 * One instance per poll thread.
 *
 * <p>Process records (kinds 16-18, bpf/process.bpf.c) share the buffer and come first, in the
 * order the kernel wrote them, so a process's exec is in the cache before its connections are
 * decoded; each connection event then gets its process context here, on the poll thread (a
 * cache hit costs well under a microsecond, a miss waits at most the context's budget).
 */
public final class RecordDecoder implements RecordHandler {
    static final int SIZE = 136;
    static final int KIND = 0;
    static final int OUTCOME = 1;
    static final int PROBE = 2;
    static final int INBOUND = 3;
    static final int FAMILY = 4;
    static final int SPORT = 6;
    static final int DPORT = 8;
    static final int FLAGS = 10;
    static final int PID = 12;
    static final int TID = 16;
    static final int UID = 20;
    static final int TS_NS = 24;
    static final int SPAN_NS = 32;
    static final int CGROUP_ID = 40;
    static final int BYTES_IN = 48;
    static final int BYTES_OUT = 56;
    static final int SADDR = 64;
    static final int DADDR = 80;
    static final int COMM = 96;
    static final int NETNS = 112;
    static final int RETRANSMITS = 116;
    static final int SRTT_US = 120;
    static final int RTTVAR_US = 124;
    static final int SEGS_IN = 128;
    static final int SEGS_OUT = 132;

    /** Bits of the health mask: which of the record's TCP counters the kernel filled (its BTF has the member). */
    public static final int HEALTH_RTT = 1;
    public static final int HEALTH_RTT_VAR = 2;
    public static final int HEALTH_RETRANSMITS = 4;
    public static final int HEALTH_PACKETS_IN = 8;
    public static final int HEALTH_PACKETS_OUT = 16;

    static final int RECORD_CONNECT = 1;
    static final int RECORD_ACCEPT = 2;
    static final int RECORD_CLOSE = 3;
    static final int RECORD_UPDATE = 4;
    private static final int AF_INET = 2;
    private static final int PROBE_TRACEPOINT = 1;
    private static final int FLAG_PREEXISTING = 1;

    private final KernelClock clock;
    private final String host;
    private final Consumer<ConnectionEvent> sink;
    private final ProcessContext context;
    private final ProcessRecords processRecords;
    private final int health;
    private final CommunityId communityId;
    private final DestinationNames names;
    private final byte[] comm = new byte[16];
    // The last text made of a comm and of each IPv4 address: bursts repeat them, and the same String
    // instance lets EventJson write its already-encoded form (see EventJson.string).
    private final byte[] lastComm = new byte[16];
    private int lastCommLength = -1;
    private String lastCommText;
    private final LastIpv4 src = new LastIpv4();
    private final LastIpv4 dest = new LastIpv4();
    private volatile long malformed;   // written by the poll thread only; read by the counter clock

    public RecordDecoder(KernelClock clock, String host, Consumer<ConnectionEvent> sink) {
        this(clock, host, sink, null, 0, null, null);
    }

    /**
     * @param context     where process records go and events get their context; null for neither
     * @param health      HEALTH_* bits: the TCP counters the program reads on this kernel
     * @param communityId computes each event's Community ID; null leaves it out
     * @param names       where DNS answer records go and events get dest_host; null for neither
     */
    public RecordDecoder(KernelClock clock, String host, Consumer<ConnectionEvent> sink, ProcessContext context,
            int health, CommunityId communityId, DestinationNames names) {
        this.clock = clock;
        this.host = host;
        this.sink = sink;
        this.context = context;
        this.processRecords = context == null ? null : context.records();
        this.health = health;
        this.communityId = communityId;
        this.names = names;
    }

    @Override
    public void onRecord(ByteBuffer b, int off, int length) {
        if (length < 1) {
            malformed++;
            return;
        }
        byte kind = b.get(off + KIND);
        if (ProcessRecords.isProcessKind(kind & 0xff)) {
            // too short for its kind: ProcessRecords counts it; no context here: not compiled in, never expected
            if (processRecords == null || !processRecords.accept(b, off, length)) {
                malformed++;
            }
            return;
        }
        if ((kind & 0xff) == DnsAnswers.KIND) {
            if (names == null || !names.accept(b, off, length)) {
                malformed++;
            }
            return;
        }
        Type type = length < SIZE ? null : switch (kind) {
            case RECORD_CONNECT -> Type.CONNECT;
            case RECORD_ACCEPT -> Type.ACCEPT;
            case RECORD_CLOSE -> Type.CLOSE;
            case RECORD_UPDATE -> Type.UPDATE;
            default -> null;
        };
        if (type == null) {
            malformed++;   // a record of another layout: bpf/ source and decoder disagree
            return;
        }
        sink.accept(decode(type, b, off));
    }

    ConnectionEvent decode(Type type, ByteBuffer b, int off) {
        boolean v4 = (b.getShort(off + FAMILY) & 0xffff) == AF_INET;
        boolean tracepoint = b.get(off + PROBE) == PROBE_TRACEPOINT;
        long span = b.getLong(off + SPAN_NS);
        Outcome outcome = type == Type.CONNECT && tracepoint ? Outcome.fromKernel(b.get(off + OUTCOME)) : null;
        boolean inbound = b.get(off + INBOUND) != 0;
        int netns = b.getInt(off + NETNS);
        int sport = b.getShort(off + SPORT) & 0xffff;
        int dport = b.getShort(off + DPORT) & 0xffff;
        return new ConnectionEvent(type, clock.toEpochMicros(b.getLong(off + TS_NS)), inbound,
                v4 ? 4 : 6,
                v4 ? src.text(b, off + SADDR) : IpText.ipv6(b, off + SADDR), sport,
                v4 ? dest.text(b, off + DADDR) : IpText.ipv6(b, off + DADDR), dport,
                b.getInt(off + PID) & 0xffffffffL, b.getInt(off + TID) & 0xffffffffL, comm(b, off + COMM),
                b.getInt(off + UID) & 0xffffffffL, b.getLong(off + CGROUP_ID), netns & 0xffffffffL, host,
                outcome,
                type == Type.CONNECT && tracepoint ? span / 1000 : -1,
                type == Type.CLOSE || type == Type.UPDATE ? span / 1000 : -1,
                b.getLong(off + BYTES_IN), b.getLong(off + BYTES_OUT), tracepoint ? "tracepoint" : "kprobe",
                context == null ? null : context.of(b.getInt(off + PID), b.getInt(off + UID), b.getLong(off + CGROUP_ID)),
                tracepoint ? health(type, b, off) : null,
                communityId == null ? null : communityId.of(CommunityId.TCP, b, off + SADDR, sport, b, off + DADDR,
                        dport, v4 ? 4 : 16),
                (b.get(off + FLAGS) & FLAG_PREEXISTING) != 0,
                names == null ? null : names.of(type, inbound, outcome == null || outcome == Outcome.ESTABLISHED, netns,
                        b, off + SADDR, off + DADDR, v4 ? 4 : 16, sport, dport, b.getLong(off + TS_NS)));
    }

    /** The HEALTH_* bits of the counters the program reads on a kernel with these offsets. */
    public static int healthMask(KernelOffsets offsets) {
        int mask = 0;
        long[] members = {offsets.tcpSockSrttUs(), offsets.tcpSockMdevUs(), offsets.tcpSockTotalRetrans(),
                offsets.tcpSockSegsIn(), offsets.tcpSockSegsOut()};
        for (int i = 0; i < members.length; i++) {
            if (members[i] != KernelOffsets.ABSENT) {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    private TcpHealth health(Type type, ByteBuffer b, int off) {
        if (type == Type.ACCEPT || health == 0) {
            return null;
        }
        if (type == Type.CONNECT) {
            return (health & HEALTH_RETRANSMITS) == 0 ? null : TcpHealth.synRetries(u32(b, off + RETRANSMITS));
        }
        return new TcpHealth(counter(HEALTH_RTT, b, off + SRTT_US), counter(HEALTH_RTT_VAR, b, off + RTTVAR_US),
                counter(HEALTH_RETRANSMITS, b, off + RETRANSMITS), counter(HEALTH_PACKETS_IN, b, off + SEGS_IN),
                counter(HEALTH_PACKETS_OUT, b, off + SEGS_OUT));
    }

    private long counter(int bit, ByteBuffer b, int off) {
        return (health & bit) == 0 ? TcpHealth.ABSENT : u32(b, off);
    }

    private static long u32(ByteBuffer b, int off) {
        return b.getInt(off) & 0xffffffffL;
    }

    private String comm(ByteBuffer b, int off) {
        int n = 0;
        while (n < comm.length && (comm[n] = b.get(off + n)) != 0) {
            n++;
        }
        if (n != lastCommLength || !Arrays.equals(comm, 0, n, lastComm, 0, n)) {
            System.arraycopy(comm, 0, lastComm, 0, n);
            lastCommLength = n;
            lastCommText = new String(comm, 0, n, StandardCharsets.UTF_8);
        }
        return lastCommText;
    }

    /** The text of the last IPv4 address seen in one field, made again only when the address changes. */
    private static final class LastIpv4 {
        private int raw;
        private String text;

        String text(ByteBuffer b, int off) {
            int now = b.getInt(off);
            if (text == null || now != raw) {
                raw = now;
                text = IpText.ipv4(b, off);
            }
            return text;
        }
    }

    /** Records that matched no known layout (never expected; counted so a mismatch is visible). */
    public long malformed() {
        return malformed;
    }
}
