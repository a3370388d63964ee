package io.tcptrace.names;

/**
 * What destination naming saw and dropped since the start, for metrics and logs.
 *
 * @param answers            DNS answers that named at least one address
 * @param withoutAddress     answers read that named none (errors, other types)
 * @param truncated          answers longer than the kernel copies (or over several TCP segments): not read
 * @param unreadable         answers dnsjava could not parse
 * @param lostBufferFull     answers the kernel's ring buffer had no room for: their names are missing
 * @param cacheEvicted       names dropped while valid to keep the cache in its bounds
 * @param connectionsEvicted names of open connections dropped to keep their table in its bound
 * @param cacheEntries       addresses named now
 */
public record NameCounters(long answers, long withoutAddress, long truncated, long unreadable, long lostBufferFull,
        long cacheEvicted, long connectionsEvicted, int cacheEntries) {

    public static NameCounters of(DestinationNames names, long lostBufferFull) {
        DnsAnswers a = names.answers();
        return new NameCounters(a.answers(), a.withoutAddress(), a.truncated(), a.unreadable(), lostBufferFull,
                names.cache().evicted(), names.connections().evicted(), names.cache().size());
    }

    /** Answers or names dropped: each may leave a connection without its dest_host. */
    public long lost() {
        return truncated + unreadable + lostBufferFull + cacheEvicted + connectionsEvicted;
    }
}
