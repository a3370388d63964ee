package io.tcptrace.ops;

import io.tcptrace.camel.BccConsumer;
import io.tcptrace.delivery.DeliveryEndpoint;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Health checks behind the management server's health endpoint: down when the kernel probes
 * are not attached, or when a sink has failed to deliver for longer than the allowed time
 * (its events wait in the spool meanwhile, so this is about alerting, not loss).
 */
public final class TcptraceHealth {
    private TcptraceHealth() {
    }

    public static void register(CamelContext context, BccConsumer source, long sinkFailureSeconds) {
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        registry.register(source.getHealthCheck());
        context.getEndpoints().stream().filter(DeliveryEndpoint.class::isInstance).map(DeliveryEndpoint.class::cast)
                .forEach(d -> registry.register(new Sink(d, sinkFailureSeconds)));
    }

    static final class Sink extends AbstractHealthCheck {
        private final DeliveryEndpoint delivery;
        private final long limitMillis;

        Sink(DeliveryEndpoint delivery, long limitSeconds) {
            super("tcptrace", "tcptrace-sink-" + delivery.getName());
            this.delivery = delivery;
            this.limitMillis = limitSeconds * 1000;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            long failing = delivery.getFailingForMillis();
            builder.detail("failing.seconds", failing / 1000);
            builder.detail("spool.bytes", delivery.getSpoolBytes());
            builder.detail("state", delivery.getState().name());
            String misconfigured = delivery.getMisconfiguration();
            if (misconfigured != null) {
                builder.message(delivery.getName() + ": the destination refuses this sink's configuration: "
                        + misconfigured + "; events wait in the spool").down();
            } else if (failing > limitMillis) {
                builder.message(delivery.getName() + " has failed to deliver for " + failing / 1000
                        + " s; events wait in the spool").down();
            } else {
                builder.up();
            }
        }
    }
}
