package io.tcptrace.names;

import static io.tcptrace.names.DnsWire.SECOND;
import static io.tcptrace.names.DnsWire.ip;
import static io.tcptrace.names.DnsWire.lookup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The name cache's bounds, expiry and order, at explicit times. */
class NameCacheTest {
    private static final int NETNS = 7;

    private static NameCache cache(int entries, long bytes) {
        return new NameCache(new NameSettings(30, 3600, entries, bytes, 1000));
    }

    private static long cost(String name) {
        return NameCache.ENTRY_OVERHEAD + 2L * name.length();
    }

    @Test
    void boundByEntriesEvictsTheOldestValidEntry() {
        NameCache c = cache(2, 1L << 20);
        c.put(NETNS, ip("10.0.0.1"), "one.example", 300, 0);
        c.put(NETNS, ip("10.0.0.2"), "two.example", 300, 1);
        c.put(NETNS, ip("10.0.0.3"), "three.example", 300, 2);

        assertNull(lookup(c, NETNS, "10.0.0.1", 3));
        assertEquals("two.example", lookup(c, NETNS, "10.0.0.2", 3));
        assertEquals("three.example", lookup(c, NETNS, "10.0.0.3", 3));
        assertEquals(2, c.size());
        assertEquals(1, c.evicted());
        assertEquals(0, c.expired());
    }

    @Test
    void boundByBytesEvictsOldestUntilTheNewFits() {
        // Room for exactly two ten-character names.
        NameCache c = cache(1000, 2 * cost("a.example0"));
        c.put(NETNS, ip("10.0.0.1"), "a.example0", 300, 0);
        c.put(NETNS, ip("10.0.0.2"), "b.example0", 300, 0);
        assertEquals(2, c.size());
        assertEquals(0, c.evicted());

        // One character longer than either: dropping one old entry leaves it two bytes over, so both go.
        String longer = "c.example0x";
        c.put(NETNS, ip("10.0.0.3"), longer, 300, 0);
        assertEquals(1, c.size());
        assertEquals(2, c.evicted());
        assertEquals(longer, lookup(c, NETNS, "10.0.0.3", 1));
        assertNull(lookup(c, NETNS, "10.0.0.1", 1));
        assertNull(lookup(c, NETNS, "10.0.0.2", 1));
    }

    @Test
    void expiredEntryOnLookupIsGoneAndCountedExpired() {
        NameCache c = cache(1000, 1L << 20);
        c.put(NETNS, ip("10.0.0.1"), "short.example", 45, 5 * SECOND);

        assertEquals("short.example", lookup(c, NETNS, "10.0.0.1", 50 * SECOND - 1));
        assertNull(lookup(c, NETNS, "10.0.0.1", 50 * SECOND));
        assertEquals(1, c.expired());
        assertEquals(0, c.evicted());
        assertEquals(0, c.size());
    }

    @Test
    void expiredEntryPushedOutByTheBoundIsCountedExpired() {
        // Dropping a name no connection could get any more loses nothing: not an eviction.
        NameCache c = cache(1, 1L << 20);
        c.put(NETNS, ip("10.0.0.1"), "old.example", 30, 0);
        c.put(NETNS, ip("10.0.0.2"), "new.example", 30, 30 * SECOND);

        assertEquals(0, c.evicted());
        assertEquals(1, c.expired());
        assertEquals("new.example", lookup(c, NETNS, "10.0.0.2", 30 * SECOND));
    }

    @Test
    void putAgainMovesTheAddressToNewestAndReplacesItsName() {
        NameCache c = cache(2, 1L << 20);
        c.put(NETNS, ip("10.0.0.1"), "first.example", 300, 0);
        c.put(NETNS, ip("10.0.0.2"), "second.example", 300, 1);
        c.put(NETNS, ip("10.0.0.1"), "renamed.example", 300, 2);
        c.put(NETNS, ip("10.0.0.3"), "third.example", 300, 3);

        assertEquals("renamed.example", lookup(c, NETNS, "10.0.0.1", 4));
        assertNull(lookup(c, NETNS, "10.0.0.2", 4), "second was the oldest once first was answered again");
        assertEquals(1, c.evicted());
    }

    @Test
    void putAgainDoesNotCountItsBytesTwice() {
        NameCache c = cache(1000, 2 * cost("a.example0"));
        for (int i = 0; i < 5; i++) {
            c.put(NETNS, ip("10.0.0.1"), "a.example0", 300, i);
        }
        c.put(NETNS, ip("10.0.0.2"), "b.example0", 300, 5);

        assertEquals(0, c.evicted());
        assertEquals("a.example0", lookup(c, NETNS, "10.0.0.1", 6));
        assertEquals("b.example0", lookup(c, NETNS, "10.0.0.2", 6));
    }

    @Test
    void sameAddressInTwoNamespacesIsTwoEntries() {
        NameCache c = cache(1000, 1L << 20);
        c.put(1, ip("2001:db8::1"), "one.example", 300, 0);
        c.put(2, ip("2001:db8::1"), "two.example", 300, 0);

        assertEquals("one.example", lookup(c, 1, "2001:db8::1", 1));
        assertEquals("two.example", lookup(c, 2, "2001:db8::1", 1));
        assertNull(lookup(c, 3, "2001:db8::1", 1));
    }

    @Test
    void ipv4MappedAddressFindsTheIpv4Answer() {
        // A dual-stack socket connecting to an A answer's address sees it as ::ffff:a.b.c.d.
        NameCache c = cache(1000, 1L << 20);
        c.put(NETNS, ip("192.0.2.7"), "v4.example", 300, 0);
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(ip("192.0.2.7"), 0, mapped, 12, 4);

        assertEquals("v4.example", c.lookup(NETNS, ByteBuffer.wrap(mapped), 0, 16, 1));
    }
}
