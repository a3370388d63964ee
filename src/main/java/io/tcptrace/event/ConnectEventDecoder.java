package io.tcptrace.event;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * Decodes {@code struct event_t} from bpf/tcpconnect.bpf.c (96 bytes, little endian) into a
 * {@link ConnectEvent}. One instance per poll thread: it reuses one scratch array, so the
 * only allocation per event is the event itself and its strings.
 */
public final class ConnectEventDecoder {
    public static final int EVENT_SIZE = 96;
    private static final int AF_INET = 2;

    private final byte[] scratch = new byte[EVENT_SIZE];
    private final KernelClock clock;
    private final String host;

    public ConnectEventDecoder(KernelClock clock, String host) {
        this.clock = clock;
        this.host = host;
    }

    /** Copies the record out of kernel-shared memory (valid only during the callback) and decodes it. */
    public ConnectEvent decode(Pointer data, int size) {
        if (size < EVENT_SIZE) {
            throw new IllegalArgumentException("event record of " + size + " bytes, expected " + EVENT_SIZE
                    + ": bpf/ source and decoder disagree");
        }
        data.read(0, scratch, 0, EVENT_SIZE);
        return decode(scratch);
    }

    ConnectEvent decode(byte[] b) {
        long ts = i64(b, 0);
        long latency = i64(b, 8);
        long cgroup = i64(b, 16);
        long pid = u32(b, 24);
        long tid = u32(b, 28);
        long uid = u32(b, 32);
        int family = u16(b, 36);
        int sport = u16(b, 38);
        int dport = u16(b, 40);
        Outcome outcome = Outcome.fromKernel(b[42]);
        int probe = b[43];
        boolean v4 = family == AF_INET;
        String saddr = v4 ? IpText.ipv4(b, 44) : IpText.ipv6(b, 44);
        String daddr = v4 ? IpText.ipv4(b, 60) : IpText.ipv6(b, 60);
        int commLen = 0;
        while (commLen < 16 && b[76 + commLen] != 0) {
            commLen++;
        }
        String comm = new String(b, 76, commLen, StandardCharsets.UTF_8);
        boolean tracepoint = probe == 1;
        return new ConnectEvent(clock.toInstant(ts), ts, v4 ? 4 : 6, saddr, sport, daddr, dport, pid, tid, comm, uid,
                cgroup, host, tracepoint ? outcome : null, tracepoint ? latency / 1000 : null,
                tracepoint ? "tracepoint" : "kprobe");
    }

    private static long i64(byte[] b, int off) {
        return (u32(b, off)) | (u32(b, off + 4) << 32);
    }

    private static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }
}
