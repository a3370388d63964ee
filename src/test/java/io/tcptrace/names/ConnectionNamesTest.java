package io.tcptrace.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The names kept for open connections: keys from event records, the bound. */
class ConnectionNamesTest {
    private static final int SRC = 8;
    private static final int DEST = 24;

    /** An event record's addresses: source at SRC, destination at DEST, network order. */
    private static ByteBuffer addresses(String src, String dest) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SRC, DnsWire.ip(src));
        b.put(DEST, DnsWire.ip(dest));
        return b;
    }

    private static ConnectionNames.Key v4(int sport) {
        return ConnectionNames.key(false, 1, addresses("10.0.0.1", "10.0.0.2"), SRC, DEST, 4, sport, 443);
    }

    @Test
    void boundEvictsTheOldestConnectionAndCountsIt() {
        ConnectionNames c = new ConnectionNames(2);
        c.put(v4(40001), "one.example");
        c.put(v4(40002), "two.example");
        c.put(v4(40003), "three.example");

        assertEquals(2, c.size());
        assertEquals(1, c.evicted());
        assertNull(c.get(v4(40001)));
        assertEquals("two.example", c.get(v4(40002)));
        assertEquals("three.example", c.get(v4(40003)));
    }

    @Test
    void getKeepsRemoveForgets() {
        ConnectionNames c = new ConnectionNames(10);
        c.put(v4(40001), "one.example");

        assertEquals("one.example", c.get(v4(40001)));
        assertEquals("one.example", c.get(v4(40001)));
        assertEquals("one.example", c.remove(v4(40001)));
        assertNull(c.remove(v4(40001)));
        assertEquals(0, c.size());
        assertEquals(0, c.evicted());
    }

    @Test
    void keyTellsEveryPartApart() {
        ByteBuffer b = addresses("10.0.0.1", "10.0.0.2");
        ConnectionNames.Key k = ConnectionNames.key(false, 1, b, SRC, DEST, 4, 40001, 443);

        assertEquals(k, ConnectionNames.key(false, 1, addresses("10.0.0.1", "10.0.0.2"), SRC, DEST, 4, 40001, 443));
        assertNotEquals(k, ConnectionNames.key(true, 1, b, SRC, DEST, 4, 40001, 443), "side");
        assertNotEquals(k, ConnectionNames.key(false, 2, b, SRC, DEST, 4, 40001, 443), "namespace");
        assertNotEquals(k, ConnectionNames.key(false, 1, b, DEST, SRC, 4, 40001, 443), "addresses swapped");
        assertNotEquals(k, ConnectionNames.key(false, 1, b, SRC, DEST, 4, 443, 40001), "ports swapped");
        assertNotEquals(k, ConnectionNames.key(false, 1, addresses("10.0.0.1", "10.0.0.3"), SRC, DEST, 4, 40001, 443));

        // IPv6: all sixteen bytes count, the last one included.
        ConnectionNames.Key v6 = ConnectionNames.key(false, 1, addresses("2001:db8::1", "2001:db8::2"), SRC, DEST, 16,
                40001, 443);
        assertNotEquals(v6, ConnectionNames.key(false, 1, addresses("2001:db8::1", "2001:db8::3"), SRC, DEST, 16,
                40001, 443));
        assertNotEquals(v6, ConnectionNames.key(false, 1, addresses("2001:db9::1", "2001:db8::2"), SRC, DEST, 16,
                40001, 443));
    }
}
