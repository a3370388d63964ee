package io.tcptrace.names;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Reads the DNS answer records of bpf/dns.bpf.c (kind 20) with dnsjava and puts each address
 * they give into the {@link NameCache}, under the name the program asked for (the question's,
 * also at the end of a CNAME chain), lower-cased, without the final dot.
 */
public final class DnsAnswers {
    public static final int KIND = 20;
    static final int FLAGS = 1;
    static final int IP_VERSION = 2;
    static final int TRANSPORT = 3;
    static final int LENGTH = 4;
    static final int MESSAGE_LENGTH = 6;
    static final int NETNS = 8;
    public static final int TS_NS = 16;
    public static final int MESSAGE = 24;
    static final int FLAG_TRUNCATED = 1;
    static final int FLAG_MORE = 2;

    private final NameCache cache;
    private volatile long answers;
    private volatile long withoutAddress;
    private volatile long truncated;
    private volatile long unreadable;

    public DnsAnswers(NameCache cache) {
        this.cache = cache;
    }

    /** Takes one record; false when it is too short for its own length (the decoder counts it malformed). */
    public boolean accept(ByteBuffer b, int off, int length, long nowNanos) {
        if (length < MESSAGE) {
            return false;
        }
        int n = b.getShort(off + LENGTH) & 0xffff;
        if (MESSAGE + n > length) {
            return false;
        }
        byte flags = b.get(off + FLAGS);
        if ((flags & FLAG_TRUNCATED) != 0) {
            truncated++;   // longer than the kernel copies, or spread over TCP segments
            return true;
        }
        if ((flags & FLAG_MORE) != 0) {
            truncated++;   // a second message in the same TCP segment, not copied; this one is read
        }
        byte[] wire = new byte[n];
        b.get(off + MESSAGE, wire);
        Message m;
        try {
            m = new Message(wire);
        } catch (IOException | RuntimeException e) {
            unreadable++;
            return true;
        }
        if (!learn(m, b.getInt(off + NETNS), nowNanos)) {
            withoutAddress++;
        }
        return true;
    }

    /** Puts the answer's addresses in the cache; false when it gave none (an error, another type, a query). */
    private boolean learn(Message m, int netns, long nowNanos) {
        Header h = m.getHeader();
        Record question = m.getQuestion();
        if (!h.getFlag(Flags.QR) || h.getOpcode() != Opcode.QUERY || h.getRcode() != Rcode.NOERROR
                || question == null) {
            return false;
        }
        List<Record> records = m.getSection(Section.ANSWER);
        // The chain: the asked name and every CNAME target reached from it, with the lowest TTL met.
        Set<Name> chain = new HashSet<>();
        chain.add(question.getName());
        long chainTtl = Long.MAX_VALUE;
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Record r : records) {
                if (r instanceof CNAMERecord c && chain.contains(c.getName()) && chain.add(c.getTarget())) {
                    chainTtl = Math.min(chainTtl, c.getTTL());
                    grew = true;
                }
            }
        }
        String name = null;
        boolean any = false;
        for (Record r : records) {
            byte[] address = r instanceof ARecord a ? a.getAddress().getAddress()
                    : r instanceof AAAARecord q ? q.getAddress().getAddress() : null;
            if (address == null || !chain.contains(r.getName())) {
                continue;
            }
            if (name == null) {
                name = question.getName().toString(true).toLowerCase(Locale.ROOT);
            }
            cache.put(netns, address, name, Math.min(chainTtl, r.getTTL()), nowNanos);
            any = true;
        }
        if (any) {
            answers++;
        }
        return any;
    }

    /** Answers that named at least one address. */
    public long answers() {
        return answers;
    }

    /** Answers read that gave no address: errors (NXDOMAIN...), other record types, empty answers. */
    public long withoutAddress() {
        return withoutAddress;
    }

    /** Messages longer than what the kernel copies, spread over TCP segments, or second in a segment: not read. */
    public long truncated() {
        return truncated;
    }

    /** Messages dnsjava could not parse. */
    public long unreadable() {
        return unreadable;
    }
}
