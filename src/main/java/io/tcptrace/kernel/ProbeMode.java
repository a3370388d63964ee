package io.tcptrace.kernel;

import java.util.Locale;

/** How the BPF program hooks connects. Both modes fill the same event struct. */
public enum ProbeMode {
    /** tracepoint when the kernel has sock:inet_sock_set_state, otherwise kprobe. */
    AUTO,
    /** sock:inet_sock_set_state (plus tcp:tcp_receive_reset): stable ABI, gives outcome and latency. */
    TRACEPOINT,
    /** kprobe/kretprobe on tcp_v4_connect and tcp_v6_connect: reads struct sock, needs matching headers. */
    KPROBE;

    public static ProbeMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown probe mode '" + text + "': use auto, tracepoint or kprobe");
        }
    }
}
