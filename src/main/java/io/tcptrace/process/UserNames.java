package io.tcptrace.process;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * uid -> user name from the host's user database (NSS: files, LDAP, SSSD...). Cached and bounded
 * (least recently used out); a name is looked up again after 10 minutes, an unknown uid after one
 * minute, so new and renamed users show up. A lookup waits at most the budget; one that takes
 * longer finishes on the loader thread and serves the next event. Thread-safe.
 */
public final class UserNames {
    static final long KNOWN_TTL_NANOS = 600_000_000_000L;
    static final long UNKNOWN_TTL_NANOS = 60_000_000_000L;

    private final int capacity;
    private final BoundedWait wait;
    private final IntFunction<String> database;
    private final LinkedHashMap<Integer, Entry> names;
    private final Set<Integer> loading = new HashSet<>();
    private long hits;
    private long misses;

    private record Entry(String name, long expires) {
    }

    /** Counters since start. */
    public record Stats(long hits, long misses, int size) {
    }

    UserNames(int capacity, BoundedWait wait) {
        this(capacity, wait, Passwd::name);
    }

    UserNames(int capacity, BoundedWait wait, IntFunction<String> database) {
        this.capacity = capacity;
        this.wait = wait;
        this.database = database;
        this.names = new LinkedHashMap<>(16, 0.75f, true);
    }

    /** The name of {@code uid}, or null when there is none or it is not known yet. */
    public String get(int uid) {
        synchronized (this) {
            Entry e = names.get(uid);
            if (e != null && System.nanoTime() - e.expires < 0) {
                hits++;
                return e.name;
            }
            misses++;
            if (!loading.add(uid)) {
                return e == null ? null : e.name;   // a lookup is under way: keep the old answer
            }
        }
        return wait.call(() -> load(uid), () -> doneLoading(uid));
    }

    /** Looks {@code uid} up on the loader thread without waiting, unless it is known or under way. */
    public void prefetch(int uid) {
        synchronized (this) {
            Entry e = names.get(uid);
            if ((e != null && System.nanoTime() - e.expires < 0) || !loading.add(uid)) {
                return;
            }
        }
        wait.submit(() -> load(uid), () -> doneLoading(uid));
    }

    /**
     * Looks {@code uid} up now, without a budget: at start, so that loading libc's NSS modules
     * (tens of milliseconds the first time) does not cost the first events their user names.
     */
    public String warm(int uid) {
        synchronized (this) {
            loading.add(uid);
        }
        return load(uid);
    }

    private synchronized void doneLoading(int uid) {
        loading.remove(uid);
    }

    private String load(int uid) {
        String name = null;
        try {
            name = database.apply(uid);
        } finally {
            long ttl = name != null ? KNOWN_TTL_NANOS : UNKNOWN_TTL_NANOS;
            synchronized (this) {
                loading.remove(uid);
                names.put(uid, new Entry(name, System.nanoTime() + ttl));
                if (names.size() > capacity) {
                    Map.Entry<Integer, Entry> eldest = names.entrySet().iterator().next();
                    names.remove(eldest.getKey());
                }
            }
        }
        return name;
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, names.size());
    }
}
