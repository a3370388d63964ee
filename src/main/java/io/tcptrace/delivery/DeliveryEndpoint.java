package io.tcptrace.delivery;

import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * Delivers each exchange's body (one record, bytes) to a destination without ever blocking the
 * sending route: a bounded memory queue, an on-disk spool when the destination is slow or down,
 * replay in order once it is healthy, and a dead-letter spool for records it refuses for good.
 * The {@link BatchSender} does the destination's part. Counters live here, so they outlast a
 * restart of the route.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "delivery", title = "Delivery", syntax = "delivery:name",
             producerOnly = true, category = {Category.MESSAGING})
public class DeliveryEndpoint extends DefaultEndpoint {
    @UriPath(description = "Sink name, used in logs, metrics and health checks (e.g. splunk)")
    @Metadata(required = true)
    private String name;
    @UriParam
    private DeliveryConfiguration configuration = new DeliveryConfiguration();

    private final DeliveryStats stats = new DeliveryStats();
    private volatile DeliveryProducer producer;

    public DeliveryEndpoint(String uri, DeliveryComponent component) {
        super(uri, component);
    }

    /** The delivery endpoint of this sink name in the context, if a route uses one. */
    public static Optional<DeliveryEndpoint> find(CamelContext context, String name) {
        return context.getEndpoints().stream().filter(DeliveryEndpoint.class::isInstance)
                .map(DeliveryEndpoint.class::cast).filter(e -> e.getName().equals(name)).findFirst();
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (configuration.getSender() == null || configuration.getSpoolDir() == null
                || configuration.getSpoolDir().isBlank()) {
            throw new IllegalArgumentException("delivery:" + name + " needs sender=#beanName (a BatchSender) and"
                    + " spoolDir=DIRECTORY");
        }
    }

    @Override
    public synchronized Producer createProducer() {
        // One spool directory has one owner: a second live producer would interleave its files.
        if (producer != null && !producer.isStopped()) {
            throw new IllegalStateException("delivery:" + name + " already has a running producer: use it from one"
                    + " route only");
        }
        producer = new DeliveryProducer(this);
        return producer;
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("delivery: is producer only: use it in to(), not from()");
    }

    @Override
    public boolean isRemote() {
        return true;
    }

    public DeliveryStats getStats() {
        return stats;
    }

    /** Records waiting in memory. */
    public int getQueueDepth() {
        DeliveryProducer p = producer;
        return p == null ? 0 : p.queueDepth();
    }

    /** Bytes waiting in the spool. */
    public long getSpoolBytes() {
        DeliveryProducer p = producer;
        return p == null ? 0 : p.spoolBytes();
    }

    /** How long deliveries have been failing without a success in between; 0 when they succeed. */
    public long getFailingForMillis() {
        DeliveryProducer p = producer;
        return p == null ? 0 : p.failingForMillis();
    }

    /**
     * Why the destination refuses this sink's configuration (token, address, index) and what to
     * check, while it does; null otherwise. Health turns DOWN at once on it.
     */
    public String getMisconfiguration() {
        DeliveryProducer p = producer;
        return p == null ? null : p.misconfiguration();
    }

    /** The current delivery state, for tests and logs; DIRECT before the first start. */
    public DeliveryState getState() {
        DeliveryProducer p = producer;
        return p == null ? DeliveryState.DIRECT : p.state();
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public DeliveryConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(DeliveryConfiguration configuration) {
        this.configuration = configuration;
    }
}
