package io.tcptrace.names;

/**
 * How destination names are kept: the TTL floor and ceiling (seconds) applied to each answer,
 * the name cache's bounds, and how many open connections keep their name for their close.
 */
public record NameSettings(int ttlMinSeconds, int ttlMaxSeconds, int cacheEntries, long cacheBytes,
        int connectionsMax) {
    public static final NameSettings DEFAULTS = new NameSettings(30, 3600, 65_536, 16L << 20, 65_536);
}
