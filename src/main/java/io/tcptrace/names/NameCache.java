package io.tcptrace.names;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The names DNS answers gave to addresses, per network namespace: (netns, address) to the name
 * the program asked for, until the answer's TTL (held between a floor and a ceiling) runs out.
 * Bounded by entries and by bytes; the oldest answer goes first and every eviction is counted.
 * One thread (the poll thread) reads and writes it; the counts may be read from any thread.
 */
public final class NameCache {
    /** Bytes an entry costs besides its name's characters: key, entry, map node (measured roughly, 64-bit JVM). */
    static final int ENTRY_OVERHEAD = 120;

    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>();
    private final int maxEntries;
    private final long maxBytes;
    private final long ttlMinNanos;
    private final long ttlMaxNanos;
    private long bytes;
    private volatile int size;
    private volatile long evicted;
    private volatile long expired;

    /** An address in one namespace: IPv4 as {@code hi = 0, lo = 0xffff_0000_0000 | address}, IPv6 as its two halves. */
    record Key(int netns, long hi, long lo) {
    }

    private record Entry(String name, long expiresNanos, int cost) {
    }

    public NameCache(NameSettings settings) {
        this.maxEntries = settings.cacheEntries();
        this.maxBytes = settings.cacheBytes();
        this.ttlMinNanos = settings.ttlMinSeconds() * 1_000_000_000L;
        this.ttlMaxNanos = settings.ttlMaxSeconds() * 1_000_000_000L;
    }

    /** Remembers that in {@code netns} the answer for {@code name} gave {@code address} (4 or 16 bytes). */
    public void put(int netns, byte[] address, String name, long ttlSeconds, long nowNanos) {
        long ttl = Math.min(ttlMaxNanos, Math.max(ttlMinNanos, ttlSeconds * 1_000_000_000L));
        Key key = key(netns, address);
        Entry old = entries.remove(key);   // re-inserted: the newest answer is the last to go
        if (old != null) {
            bytes -= old.cost();
        }
        Entry e = new Entry(name, nowNanos + ttl, ENTRY_OVERHEAD + 2 * name.length());
        entries.put(key, e);
        bytes += e.cost();
        Iterator<Map.Entry<Key, Entry>> oldest = entries.entrySet().iterator();
        while ((entries.size() > maxEntries || bytes > maxBytes) && oldest.hasNext()) {
            Entry gone = oldest.next().getValue();
            oldest.remove();
            bytes -= gone.cost();
            if (gone.expiresNanos() > nowNanos) {
                evicted++;   // still valid: a name some connection may now miss
            } else {
                expired++;
            }
        }
        size = entries.size();
    }

    /**
     * The name of the address at {@code off} in {@code b} (4 or 16 bytes, network order) in
     * {@code netns}, or null when no answer that is still valid gave it.
     */
    public String lookup(int netns, ByteBuffer b, int off, int length, long nowNanos) {
        if (entries.isEmpty()) {
            return null;
        }
        Key key = length == 4 ? new Key(netns, 0, v4(b.get(off), b.get(off + 1), b.get(off + 2), b.get(off + 3)))
                : new Key(netns, half(b, off), half(b, off + 8));
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (e.expiresNanos() <= nowNanos) {
            entries.remove(key);
            bytes -= e.cost();
            expired++;
            size = entries.size();
            return null;
        }
        return e.name();
    }

    static Key key(int netns, byte[] a) {
        if (a.length == 4) {
            return new Key(netns, 0, v4(a[0], a[1], a[2], a[3]));
        }
        ByteBuffer b = ByteBuffer.wrap(a);
        return new Key(netns, half(b, 0), half(b, 8));
    }

    private static long v4(byte a, byte b, byte c, byte d) {
        return 0xffff_0000_0000L | (a & 0xffL) << 24 | (b & 0xffL) << 16 | (c & 0xffL) << 8 | (d & 0xffL);
    }

    /** Eight bytes in network order, whatever the buffer's own order. */
    private static long half(ByteBuffer b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b.get(off + i) & 0xffL);
        }
        return v;
    }

    public int size() {
        return size;
    }

    /** Names dropped while still valid, to keep the cache within its entries and bytes. */
    public long evicted() {
        return evicted;
    }

    /** Names dropped because their TTL (held to the floor and ceiling) had run out. */
    public long expired() {
        return expired;
    }
}
