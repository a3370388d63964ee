package io.tcptrace.ops;

import io.tcptrace.camel.BccConsumer;
import io.tcptrace.delivery.StoreAndForward;
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
        for (StoreAndForward d : context.getRegistry().findByTypeWithName(StoreAndForward.class).values()) {
            registry.register(new Sink(d, sinkFailureSeconds));
        }
    }

    static final class Sink extends AbstractHealthCheck {
        private final StoreAndForward delivery;
        private final long limitMillis;

        Sink(StoreAndForward delivery, long limitSeconds) {
            super("tcptrace", "tcptrace-sink-" + delivery.getSender().name());
            this.delivery = delivery;
            this.limitMillis = limitSeconds * 1000;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            long failing = delivery.getFailingForMillis();
            builder.detail("failing.seconds", failing / 1000);
            builder.detail("spool.bytes", delivery.getSpoolBytes());
            if (failing > limitMillis) {
                builder.message(delivery.getSender().name() + " has failed to deliver for " + failing / 1000
                        + " s; events wait in the spool").down();
            } else {
                builder.up();
            }
        }
    }
}
