package io.tcptrace.app;

import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.kernel.OwnProcess;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Matches the tracer's own connections (its posts to Splunk, Kafka...), which would otherwise feed
 * back into themselves. The kernel drops them already (excludeOwnPid); the source route keeps the
 * rule visible with this predicate, and the filter's own statistics count what it matched.
 */
public class OwnConnection implements Predicate {
    private long pid = OwnProcess.tgid();

    /** The pid whose connections match; the route sets {@code tcptrace.self-pid} (-1 matches none). */
    public void setPid(long pid) {
        this.pid = pid;
    }

    @Override
    public boolean matches(Exchange exchange) {
        return exchange.getMessage().getBody() instanceof ConnectionEvent e && e.processId() == pid;
    }
}
