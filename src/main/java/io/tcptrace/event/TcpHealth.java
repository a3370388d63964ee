package io.tcptrace.event;

/**
 * A connection's health as the kernel's TCP stack counts it ({@code struct tcp_sock}, the values
 * {@code ss -i} and {@code tcp_info} show), read when the event was made. Each value is
 * {@link #ABSENT} where the running kernel's BTF lacks its member, so it is left out of the JSON
 * rather than written as a false zero.
 *
 * @param rttMicros    smoothed round-trip time ({@code srtt_us / 8}), microseconds
 * @param rttVarMicros its mean deviation ({@code mdev_us / 4}), microseconds
 * @param retransmits  segments retransmitted ({@code total_retrans}); on a connect, the SYN's retransmissions
 * @param packetsIn    segments received ({@code segs_in}), the handshake's included
 * @param packetsOut   segments sent ({@code segs_out}), the handshake's and retransmissions included
 */
public record TcpHealth(long rttMicros, long rttVarMicros, long retransmits, long packetsIn, long packetsOut) {
    public static final long ABSENT = -1;

    /** A connect's only health value: how often its SYN was sent again. */
    public static TcpHealth synRetries(long retransmits) {
        return new TcpHealth(ABSENT, ABSENT, retransmits, ABSENT, ABSENT);
    }
}
