package io.tcptrace.delivery;

import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code delivery:} component: store-and-forward to a network destination through a
 * {@link BatchSender}. It holds the one stop deadline its endpoints share: Camel stops the sink
 * routes one after the other, and each waiting its own full timeout would add up past what the
 * service manager allows.
 */
@Component("delivery")
public class DeliveryComponent extends DefaultComponent {
    // A stop that began longer ago than its timeout plus this is an earlier stop, not this one.
    private static final long STOP_CYCLE_SLACK_NANOS = 60_000_000_000L;
    private long firstStopNanos;
    private boolean stopping;

    /**
     * When the sink stopping now must be done sending: {@code timeoutMillis} after the first sink
     * of this stop began stopping.
     */
    synchronized long stopDeadlineNanos(long timeoutMillis) {
        long now = System.nanoTime();
        long timeout = timeoutMillis * 1_000_000L;
        if (!stopping || now - firstStopNanos > timeout + STOP_CYCLE_SLACK_NANOS) {
            stopping = true;
            firstStopNanos = now;
        }
        return firstStopNanos + timeout;
    }

    /** A producer started: the next stop is a new one. */
    synchronized void producerStarted() {
        stopping = false;
    }
    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        DeliveryEndpoint endpoint = new DeliveryEndpoint(uri, this);
        endpoint.setName(remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
