package io.tcptrace.names;

import static io.tcptrace.names.DnsWire.a;
import static io.tcptrace.names.DnsWire.aaaa;
import static io.tcptrace.names.DnsWire.record;
import static io.tcptrace.names.DnsWire.response;
import static io.tcptrace.names.DnsWire.responseA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.event.EventSchema.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * dest_host per connection event: the connect or accept looks the name up, updates and the close
 * of the same connection get the one it kept. (DestinationNames reads the clock itself: TTLs here
 * are far longer than a test.)
 */
class DestinationNamesTest {
    private static final int NETNS = 0xF000_0000;   // the host's usual inode, 4026531840: negative as an int
    /** Events a second after the answers (DnsWire stamps them at 123,456,789 ns), on the same monotonic clock. */
    private static final long AT = 1_123_456_789L;
    private static final int SRC = 8;
    private static final int DEST = 24;

    private DestinationNames names;

    @BeforeEach
    void answered() throws Exception {
        names = new DestinationNames(new NameSettings(300, 3600, 100, 1L << 20, 100), true);
        ByteBuffer b = record(NETNS, responseA("api.example.com.", a("api.example.com.", 600, "203.0.113.5")));
        assertTrue(names.accept(b, 0, b.capacity()));
    }

    /** A connection to 203.0.113.5:443 from 10.1.1.1:{@code sport}. */
    private String of(Type type, boolean inbound, boolean established, int sport) {
        return names.of(type, inbound, established, NETNS, event("10.1.1.1", "203.0.113.5"), SRC, DEST, 4, sport,
                443, AT);
    }

    /** An event record's source and destination addresses, network order in a little-endian buffer. */
    private static ByteBuffer event(String src, String dest) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SRC, DnsWire.ip(src));
        b.put(DEST, DnsWire.ip(dest));
        return b;
    }

    @Test
    void establishedConnectKeepsItsNameForUpdatesAndTheClose() {
        assertEquals("api.example.com", of(Type.CONNECT, false, true, 40000));
        assertEquals(1, names.connections().size());

        assertEquals("api.example.com", of(Type.UPDATE, false, true, 40000));
        assertEquals("api.example.com", of(Type.UPDATE, false, true, 40000));
        assertEquals(1, names.connections().size(), "an update keeps it");

        assertEquals("api.example.com", of(Type.CLOSE, false, true, 40000));
        assertEquals(0, names.connections().size(), "the close forgets it");
        assertNull(of(Type.CLOSE, false, true, 40000));
    }

    @Test
    void closeOfAConnectionNeverSeenConnectingGetsNoName() {
        // The address has a name, but the close takes only what its connect kept.
        assertEquals("api.example.com", of(Type.CONNECT, false, true, 40000));
        assertNull(of(Type.UPDATE, false, true, 40001));
        assertNull(of(Type.CLOSE, false, true, 40001));
        assertEquals(1, names.connections().size());
    }

    @Test
    void refusedConnectIsNamedButKeepsNothing() {
        // No close follows a connect that failed: keeping its name would only fill the table.
        assertEquals("api.example.com", of(Type.CONNECT, false, false, 40000));
        assertEquals(0, names.connections().size());
        assertNull(of(Type.CLOSE, false, true, 40000));
    }

    @Test
    void inboundSideIsAnotherConnection() {
        assertEquals("api.example.com", of(Type.CONNECT, false, true, 40000));
        assertNull(of(Type.CLOSE, true, true, 40000), "an accepted connection with the same four values");
        assertEquals("api.example.com", of(Type.CLOSE, false, true, 40000));
    }

    @Test
    void acceptOfANamedAddressKeepsItsNameToo() {
        assertEquals("api.example.com", of(Type.ACCEPT, true, true, 40000));
        assertEquals("api.example.com", of(Type.CLOSE, true, true, 40000));
    }

    @Test
    void withoutCloseEventsNothingIsKept() throws Exception {
        DestinationNames noClose = new DestinationNames(new NameSettings(300, 3600, 100, 1L << 20, 100), false);
        ByteBuffer r = record(NETNS, responseA("api.example.com.", a("api.example.com.", 600, "203.0.113.5")));
        assertTrue(noClose.accept(r, 0, r.capacity()));

        ByteBuffer e = event("10.1.1.1", "203.0.113.5");
        assertEquals("api.example.com", noClose.of(Type.CONNECT, false, true, NETNS, e, SRC, DEST, 4, 40000, 443, AT));
        assertEquals(0, noClose.connections().size());
        assertNull(noClose.of(Type.CLOSE, false, true, NETNS, e, SRC, DEST, 4, 40000, 443, AT));
    }

    @Test
    void otherNamespaceAndOtherAddressGetNoName() {
        ByteBuffer e = event("10.1.1.1", "203.0.113.5");
        assertNull(names.of(Type.CONNECT, false, true, NETNS + 1, e, SRC, DEST, 4, 40000, 443, AT));
        assertNull(names.of(Type.CONNECT, false, true, NETNS, event("10.1.1.1", "203.0.113.6"), SRC, DEST, 4, 40000,
                443, AT));
        assertEquals(0, names.connections().size(), "nothing to keep for a connection without a name");
    }

    @Test
    void ipv6ConnectAndClose() throws Exception {
        ByteBuffer r = record(NETNS, response("v6.example.com.", org.xbill.DNS.Type.AAAA,
                aaaa("v6.example.com.", 600, "2001:db8::5")));
        assertTrue(names.accept(r, 0, r.capacity()));

        ByteBuffer e = event("2001:db8::a", "2001:db8::5");
        assertEquals("v6.example.com", names.of(Type.CONNECT, false, true, NETNS, e, SRC, DEST, 16, 40000, 443, AT));
        assertEquals("v6.example.com", names.of(Type.CLOSE, false, true, NETNS, e, SRC, DEST, 16, 40000, 443, AT));
        assertEquals(0, names.connections().size());
    }
}
