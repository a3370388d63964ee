package io.tcptrace.names;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The name each open connection got at its connect or accept, kept for its updates and its close
 * (by then the answer's TTL may have run out). Keyed by side, namespace and the four values;
 * bounded: when full, the oldest connection's name goes (counted), as a connection whose close
 * was never seen must not hold its entry forever. One thread (the poll thread).
 */
public final class ConnectionNames {
    private final LinkedHashMap<Key, String> names;
    private volatile long evicted;
    private volatile int size;

    record Key(boolean inbound, int netns, long srcHi, long srcLo, long destHi, long destLo, int ports) {
    }

    public ConnectionNames(int max) {
        this.names = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, String> eldest) {
                if (size() > max) {
                    evicted++;
                    return true;
                }
                return false;
            }
        };
    }

    public void put(Key key, String name) {
        names.put(key, name);
        size = names.size();
    }

    /** The connection's name, kept (an update). */
    public String get(Key key) {
        return names.isEmpty() ? null : names.get(key);
    }

    /** The connection's name, forgotten (its close). */
    public String remove(Key key) {
        if (names.isEmpty()) {
            return null;
        }
        String name = names.remove(key);
        size = names.size();
        return name;
    }

    /** A connection's key from a record: addresses of {@code length} bytes at {@code src} and {@code dest}. */
    public static Key key(boolean inbound, int netns, ByteBuffer b, int src, int dest, int length, int sport,
            int dport) {
        return length == 4
                ? new Key(inbound, netns, 0, b.getInt(src), 0, b.getInt(dest), sport << 16 | dport)
                : new Key(inbound, netns, b.getLong(src), b.getLong(src + 8), b.getLong(dest), b.getLong(dest + 8),
                        sport << 16 | dport);
    }

    /** Forgets every connection's name, uncounted: their closes will not come (a re-attach). */
    public void clear() {
        names.clear();
        size = 0;
    }

    public int size() {
        return size;
    }

    /** Names of open connections dropped to keep within the bound: their later events carry none. */
    public long evicted() {
        return evicted;
    }
}
