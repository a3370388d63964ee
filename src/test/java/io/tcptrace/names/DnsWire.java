package io.tcptrace.names;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/** Real DNS messages (dnsjava) laid out as bpf/dns.bpf.c's kind-20 record, and the addresses they name. */
final class DnsWire {
    static final long SECOND = 1_000_000_000L;

    private DnsWire() {
    }

    static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static byte[] ip(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();   // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ARecord a(String owner, long ttl, String address) throws UnknownHostException {
        return new ARecord(name(owner), DClass.IN, ttl, InetAddress.getByAddress(ip(address)));
    }

    static AAAARecord aaaa(String owner, long ttl, String address) throws UnknownHostException {
        return new AAAARecord(name(owner), DClass.IN, ttl, InetAddress.getByAddress(ip(address)));
    }

    static CNAMERecord cname(String owner, long ttl, String target) {
        return new CNAMERecord(name(owner), DClass.IN, ttl, name(target));
    }

    /** A response (QR set, NOERROR) to {@code question} of {@code type}, with {@code answers} in its answer section. */
    static Message response(String question, int type, Record... answers) {
        Message m = Message.newQuery(Record.newRecord(name(question), type, DClass.IN));
        m.getHeader().setFlag(Flags.QR);
        for (Record r : answers) {
            m.addRecord(r, Section.ANSWER);
        }
        return m;
    }

    static Message responseA(String question, Record... answers) {
        return response(question, Type.A, answers);
    }

    /**
     * The kernel's record for {@code message} at offset {@code off} of a little-endian buffer
     * (bytes before it are filler, as in a ring buffer holding other records).
     */
    static ByteBuffer record(int off, int flags, int netns, byte[] message) {
        ByteBuffer b = ByteBuffer.allocate(off + DnsAnswers.MESSAGE + message.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < off; i++) {
            b.put(i, (byte) 0x5a);
        }
        b.put(off, (byte) DnsAnswers.KIND);
        b.put(off + DnsAnswers.FLAGS, (byte) flags);
        b.put(off + DnsAnswers.IP_VERSION, (byte) 4);
        b.put(off + DnsAnswers.TRANSPORT, (byte) 17);
        b.putShort(off + DnsAnswers.LENGTH, (short) message.length);
        b.putShort(off + DnsAnswers.MESSAGE_LENGTH, (short) message.length);
        b.putInt(off + DnsAnswers.NETNS, netns);
        b.putLong(off + DnsAnswers.TS_NS, 123_456_789L);
        b.put(off + DnsAnswers.MESSAGE, message);
        return b;
    }

    static ByteBuffer record(int netns, Message message) {
        return record(0, 0, netns, message.toWire());
    }

    /** An address as an event record holds it: network order, at {@code off} of a little-endian buffer. */
    static ByteBuffer address(int off, String literal) {
        byte[] a = ip(literal);
        ByteBuffer b = ByteBuffer.allocate(off + a.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(off, a);
        return b;
    }

    static String lookup(NameCache cache, int netns, String literal, long nowNanos) {
        byte[] a = ip(literal);
        return cache.lookup(netns, address(3, literal), 3, a.length, nowNanos);
    }
}
