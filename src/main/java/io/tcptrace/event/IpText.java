package io.tcptrace.event;

import java.nio.ByteBuffer;

/** Addresses as text: dotted IPv4, and IPv6 in the RFC 5952 short form ({@code ::1}, not {@code 0:0:...:1}). */
public final class IpText {
    private IpText() {
    }

    /** Dotted IPv4 of the 4 bytes at {@code off} of a buffer (absolute read, position untouched). */
    public static String ipv4(ByteBuffer b, int off) {
        return (b.get(off) & 0xff) + "." + (b.get(off + 1) & 0xff) + "." + (b.get(off + 2) & 0xff) + "."
                + (b.get(off + 3) & 0xff);
    }

    /** IPv6 text of the 16 bytes at {@code off} of a buffer (absolute read, position untouched). */
    public static String ipv6(ByteBuffer b, int off) {
        byte[] copy = new byte[16];
        b.get(off, copy);
        return ipv6(copy, 0);
    }

    public static String ipv4(byte[] b, int off) {
        return (b[off] & 0xff) + "." + (b[off + 1] & 0xff) + "." + (b[off + 2] & 0xff) + "." + (b[off + 3] & 0xff);
    }

    public static String ipv6(byte[] b, int off) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[off + 2 * i] & 0xff) << 8) | (b[off + 2 * i + 1] & 0xff);
        }
        // IPv4-mapped addresses (::ffff:a.b.c.d) keep the dotted tail, as RFC 5952 section 5 asks.
        boolean mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[4] == 0
                && groups[5] == 0xffff;
        if (mapped) {
            return "::ffff:" + ipv4(b, off + 12);
        }
        // The longest run of two or more zero groups becomes "::" (the first one on a tie).
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
