package io.tcptrace.names;

import static io.tcptrace.names.DnsWire.SECOND;
import static io.tcptrace.names.DnsWire.a;
import static io.tcptrace.names.DnsWire.aaaa;
import static io.tcptrace.names.DnsWire.cname;
import static io.tcptrace.names.DnsWire.lookup;
import static io.tcptrace.names.DnsWire.record;
import static io.tcptrace.names.DnsWire.response;
import static io.tcptrace.names.DnsWire.responseA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Type;

/** DNS answer records as the kernel writes them, read into the name cache at explicit times. */
class DnsAnswersTest {
    // A namespace inode above 2^31: negative as a Java int, as most real ones are.
    private static final int NETNS = 0xF000_0001;
    private static final int OTHER_NETNS = 0xF000_0002;

    private final NameCache cache = new NameCache(new NameSettings(1, 3600, 1000, 1L << 20, 1000));
    private final DnsAnswers answers = new DnsAnswers(cache);

    private boolean accept(ByteBuffer b, int off, long now) {
        return answers.accept(b, off, b.capacity() - off, now);
    }

    @Test
    void aAnswerNamesItsAddressInItsNamespaceOnly() throws Exception {
        // Record at a non-zero offset, as within the ring buffer.
        byte[] wire = responseA("Example.COM.", a("example.com.", 300, "93.184.216.34")).toWire();
        assertTrue(accept(record(11, 0, NETNS, wire), 11, 0));

        assertEquals("example.com", lookup(cache, NETNS, "93.184.216.34", SECOND));
        assertNull(lookup(cache, OTHER_NETNS, "93.184.216.34", SECOND), "another namespace asked nothing");
        assertNull(lookup(cache, NETNS, "93.184.216.35", SECOND));
        assertEquals(1, answers.answers());
        assertEquals(0, answers.withoutAddress());
    }

    @Test
    void aaaaAnswerNamesItsIpv6Address() throws Exception {
        Message m = response("v6.example.org.", Type.AAAA, aaaa("v6.example.org.", 300, "2001:db8::1"),
                aaaa("v6.example.org.", 300, "2001:db8::2"));
        assertTrue(accept(record(NETNS, m), 0, 0));

        assertEquals("v6.example.org", lookup(cache, NETNS, "2001:db8::1", SECOND));
        assertEquals("v6.example.org", lookup(cache, NETNS, "2001:db8::2", SECOND));
        assertNull(lookup(cache, NETNS, "2001:db8::3", SECOND));
        assertEquals(1, answers.answers());
        assertEquals(2, cache.size());
    }

    @Test
    void cnameChainNamesTheTargetWithTheQuestionUntilTheChainsLowestTtl() throws Exception {
        // Out of order on purpose (address first, chain reversed): the chain is followed, not the order.
        Message m = responseA("WWW.Example.com.",
                a("e1.cdn.example.net.", 600, "10.0.0.1"),
                cname("edge.cdn.example.net.", 120, "e1.cdn.example.net."),
                cname("www.example.com.", 60, "edge.cdn.example.net."));
        assertTrue(accept(record(NETNS, m), 0, 0));

        assertEquals("www.example.com", lookup(cache, NETNS, "10.0.0.1", 60 * SECOND - 1));
        assertNull(lookup(cache, NETNS, "10.0.0.1", 60 * SECOND), "the first CNAME's 60 s bound the name");
        assertEquals(1, cache.expired());
    }

    @Test
    void ttlBelowTheFloorIsRaisedToIt() throws Exception {
        NameCache floored = new NameCache(new NameSettings(30, 3600, 1000, 1L << 20, 1000));
        DnsAnswers in = new DnsAnswers(floored);
        Message m = responseA("www.example.com.", cname("www.example.com.", 5, "edge.example.net."),
                a("edge.example.net.", 0, "10.0.0.2"));
        ByteBuffer b = record(NETNS, m);
        assertTrue(in.accept(b, 0, b.capacity(), 0));

        assertEquals("www.example.com", lookup(floored, NETNS, "10.0.0.2", 30 * SECOND - 1));
        assertNull(lookup(floored, NETNS, "10.0.0.2", 30 * SECOND));
    }

    @Test
    void ttlAboveTheCeilingIsLoweredToIt() throws Exception {
        NameCache ceiled = new NameCache(new NameSettings(30, 600, 1000, 1L << 20, 1000));
        DnsAnswers in = new DnsAnswers(ceiled);
        Message m = responseA("www.example.com.", cname("www.example.com.", 86_400, "edge.example.net."),
                a("edge.example.net.", 86_400, "10.0.0.3"));
        ByteBuffer b = record(NETNS, m);
        assertTrue(in.accept(b, 0, b.capacity(), 0));

        assertEquals("www.example.com", lookup(ceiled, NETNS, "10.0.0.3", 600 * SECOND - 1));
        assertNull(lookup(ceiled, NETNS, "10.0.0.3", 600 * SECOND));
    }

    @Test
    void addressOfANameOutsideTheChainIsIgnored() throws Exception {
        // A record for a name nobody asked about (e.g. additional data a resolver slipped into the answer).
        Message m = responseA("asked.example.com.", a("asked.example.com.", 300, "10.0.1.1"),
                a("other.example.com.", 300, "10.0.1.2"));
        assertTrue(accept(record(NETNS, m), 0, 0));
        assertEquals("asked.example.com", lookup(cache, NETNS, "10.0.1.1", SECOND));
        assertNull(lookup(cache, NETNS, "10.0.1.2", SECOND));

        Message only = responseA("asked.example.org.", a("other.example.org.", 300, "10.0.1.3"));
        assertTrue(accept(record(NETNS, only), 0, 0));
        assertNull(lookup(cache, NETNS, "10.0.1.3", SECOND));
        assertEquals(1, answers.answers());
        assertEquals(1, answers.withoutAddress());
    }

    @Test
    void errorAnswerNamesNothing() throws Exception {
        // An address in the answer section, yet NXDOMAIN: the rcode decides.
        Message m = responseA("gone.example.com.", a("gone.example.com.", 300, "10.0.2.1"));
        m.getHeader().setRcode(Rcode.NXDOMAIN);
        assertTrue(accept(record(NETNS, m), 0, 0));
        assertWithoutAddress("10.0.2.1");
    }

    @Test
    void queryNamesNothing() throws Exception {
        // QR clear: a query seen on port 53 (e.g. from a local resolver), not an answer.
        Message m = responseA("query.example.com.", a("query.example.com.", 300, "10.0.2.2"));
        m.getHeader().unsetFlag(Flags.QR);
        assertTrue(accept(record(NETNS, m), 0, 0));
        assertWithoutAddress("10.0.2.2");
    }

    @Test
    void answerWithoutAddressRecordsNamesNothing() {
        Message m = response("txt.example.com.", Type.TXT,
                new TXTRecord(DnsWire.name("txt.example.com."), DClass.IN, 300, "v=spf1 -all"));
        assertTrue(accept(record(NETNS, m), 0, 0));
        assertEquals(1, answers.withoutAddress());
        assertEquals(0, answers.answers());
        assertEquals(0, cache.size());
    }

    private void assertWithoutAddress(String address) {
        assertNull(lookup(cache, NETNS, address, SECOND));
        assertEquals(1, answers.withoutAddress());
        assertEquals(0, answers.answers());
        assertEquals(0, cache.size());
    }

    @Test
    void truncatedRecordIsCountedNotRead() throws Exception {
        // A whole, valid message: only the kernel's flag says it is cut.
        byte[] wire = responseA("big.example.com.", a("big.example.com.", 300, "10.0.3.1")).toWire();
        assertTrue(accept(record(0, DnsAnswers.FLAG_TRUNCATED, NETNS, wire), 0, 0));

        assertNull(lookup(cache, NETNS, "10.0.3.1", SECOND));
        assertEquals(1, answers.truncated());
        assertEquals(0, answers.answers());
        assertEquals(0, answers.withoutAddress());
    }

    @Test
    void aSecondMessageInTheSameTcpSegmentIsCountedAndTheFirstIsRead() throws Exception {
        byte[] wire = responseA("tcp.example.com.", a("tcp.example.com.", 300, "10.0.3.2")).toWire();
        assertTrue(accept(record(0, DnsAnswers.FLAG_MORE, NETNS, wire), 0, 0));

        assertEquals("tcp.example.com", lookup(cache, NETNS, "10.0.3.2", SECOND));
        assertEquals(1, answers.truncated(), "the message after it was not copied");
        assertEquals(1, answers.answers());
    }

    @Test
    void garbageIsCountedUnreadable() {
        // A header claiming one question and one answer, then nothing.
        byte[] garbage = {0x12, 0x34, (byte) 0x81, (byte) 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 'a', 'b'};
        assertTrue(accept(record(0, 0, NETNS, garbage), 0, 0));
        assertTrue(accept(record(0, 0, NETNS, new byte[] {1, 2, 3}), 0, 0));

        assertEquals(2, answers.unreadable());
        assertEquals(0, answers.withoutAddress());
        assertEquals(0, cache.size());
    }

    @Test
    void recordShorterThanItsLengthIsMalformed() throws Exception {
        ByteBuffer b = record(NETNS, responseA("x.example.com.", a("x.example.com.", 300, "10.0.4.1")));
        assertFalse(answers.accept(b, 0, b.capacity() - 1, 0), "one byte of the message missing");
        assertFalse(answers.accept(b, 0, DnsAnswers.MESSAGE - 1, 0), "not even a header");
        assertTrue(answers.accept(b, 0, b.capacity(), 0), "the same record whole");

        assertEquals(1, answers.answers());
        assertEquals(0, answers.unreadable() + answers.truncated() + answers.withoutAddress());
    }
}
