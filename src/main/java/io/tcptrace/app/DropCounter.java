package io.tcptrace.app;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts events a route drops on purpose, by reason (e.g. {@code self-pid}), so no drop is silent.
 * Routes call it as {@code bean: {ref: drops, method: "count('self-pid')"}}. A summary is
 * logged at most once a minute while drops keep happening.
 */
public class DropCounter {
    private static final Logger LOG = LoggerFactory.getLogger(DropCounter.class);
    private static final long REPORT_INTERVAL_NANOS = 60_000_000_000L;

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private volatile long lastReport = System.nanoTime();

    public void count(String reason) {
        counts.computeIfAbsent(reason, r -> new LongAdder()).increment();
        long now = System.nanoTime();
        if (now - lastReport >= REPORT_INTERVAL_NANOS) {
            lastReport = now;
            LOG.info("events dropped by route filters so far: {}", snapshot());
        }
    }

    public long get(String reason) {
        LongAdder a = counts.get(reason);
        return a == null ? 0 : a.sum();
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
