package io.tcptrace.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Marker;

/**
 * Lets a library's warnings through once a minute per cause (logger and message pattern), for
 * clients that log on every attempt: the Kafka client says "could not be established" at each
 * reconnect, once a second for a whole outage. Configured in logback.xml with the logger
 * prefix. Messages below WARN pass to the normal level check.
 */
public class OncePerMinuteLogFilter extends TurboFilter {
    private static final long INTERVAL_NANOS = 60_000_000_000L;
    private static final int MAX_CAUSES = 1000;

    private final ConcurrentHashMap<String, Long> lastSaid = new ConcurrentHashMap<>();
    private String prefix = "org.apache.kafka";

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level == null || !level.isGreaterOrEqual(Level.WARN) || format == null
                || !logger.getName().startsWith(prefix) || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        long now = System.nanoTime();
        String cause = logger.getName() + '|' + format;
        Long before = lastSaid.get(cause);
        if (before != null && now - before < INTERVAL_NANOS) {
            return FilterReply.DENY;
        }
        if (lastSaid.size() >= MAX_CAUSES) {
            lastSaid.clear(); // messages with values in their pattern: start again rather than grow
        }
        lastSaid.put(cause, now);
        return FilterReply.NEUTRAL;
    }

    /** Loggers whose names start with this are limited. */
    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }
}
