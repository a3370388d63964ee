package io.tcptrace.app;

import io.tcptrace.event.ConnectionEvent;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Matches the tracer's own connections (its posts to Splunk, Kafka...), which would otherwise feed
 * back into themselves. The kernel drops them already (excludeOwnPid); the source route keeps the
 * rule visible with this predicate, and the filter's own statistics count what it matched.
 */
public class OwnConnection implements Predicate {
    private final long selfPid = ProcessHandle.current().pid();

    @Override
    public boolean matches(Exchange exchange) {
        return exchange.getMessage().getBody() instanceof ConnectionEvent e && e.processId() == selfPid;
    }
}
