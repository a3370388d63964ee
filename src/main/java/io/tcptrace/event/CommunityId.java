package io.tcptrace.event;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The Community ID (version 1) of a TCP connection: the flow hash Zeek, Suricata, Auditbeat and
 * ECS's {@code network.community_id} share, so a connection reported here joins their records of
 * it. Per the published spec: SHA-1 over the seed (2 bytes), the two addresses, the protocol, a zero
 * byte and the two ports, all in network order, the lower (address, port) endpoint first; written
 * as {@code 1:} and the digest in base64. Both directions of a connection give the same id.
 *
 * <p>Not thread-safe (it keeps its digest and input buffer): one per decoding thread.
 */
public final class CommunityId {
    public static final int TCP = 6;
    private final byte[] input = new byte[2 + 16 + 16 + 4 + 4];
    private final MessageDigest sha1;
    private final int seed;

    /** @param seed 0 to 65535; 0 is the spec's default, the one other tools use unless told otherwise */
    public CommunityId(int seed) {
        if (seed < 0 || seed > 65535) {
            throw new IllegalArgumentException("communityIdSeed=" + seed + " is out of range: use 0 to 65535 (0 is the"
                    + " default that Zeek, Suricata and Auditbeat use)");
        }
        this.seed = seed;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JRE has no SHA-1", e);
        }
    }

    public int seed() {
        return seed;
    }

    /** The id of a flow between two addresses of one family (4 or 16 bytes each), ports as numbers. */
    public String of(int protocol, byte[] src, int srcPort, byte[] dest, int destPort) {
        if (src.length != dest.length || (src.length != 4 && src.length != 16)) {
            throw new IllegalArgumentException("addresses of 4 or 16 bytes, both alike: " + src.length + ", " + dest.length);
        }
        return of(protocol, ByteBuffer.wrap(src), 0, srcPort, ByteBuffer.wrap(dest), 0, destPort, src.length);
    }

    /**
     * The id of a flow whose addresses are read in place: {@code length} bytes at {@code srcOff} of
     * {@code srcBuf} and at {@code destOff} of {@code destBuf} (a kernel record's two address fields).
     */
    public String of(int protocol, ByteBuffer srcBuf, int srcOff, int srcPort, ByteBuffer destBuf, int destOff,
            int destPort, int length) {
        int order = 0;
        for (int i = 0; i < length && order == 0; i++) {
            order = Integer.compare(srcBuf.get(srcOff + i) & 0xff, destBuf.get(destOff + i) & 0xff);
        }
        if (order == 0) {
            order = Integer.compare(srcPort, destPort);
        }
        boolean swap = order > 0;
        int n = 0;
        input[n++] = (byte) (seed >>> 8);
        input[n++] = (byte) seed;
        n = copy(swap ? destBuf : srcBuf, swap ? destOff : srcOff, length, n);
        n = copy(swap ? srcBuf : destBuf, swap ? srcOff : destOff, length, n);
        input[n++] = (byte) protocol;
        input[n++] = 0;
        int first = swap ? destPort : srcPort;
        int second = swap ? srcPort : destPort;
        input[n++] = (byte) (first >>> 8);
        input[n++] = (byte) first;
        input[n++] = (byte) (second >>> 8);
        input[n++] = (byte) second;
        sha1.update(input, 0, n);
        return "1:" + Base64.getEncoder().encodeToString(sha1.digest());
    }

    private int copy(ByteBuffer from, int off, int length, int at) {
        for (int i = 0; i < length; i++) {
            input[at + i] = from.get(off + i);
        }
        return at + length;
    }
}
