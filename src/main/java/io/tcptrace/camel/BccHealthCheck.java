package io.tcptrace.camel;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The {@code bcc:} consumer's health: DOWN while the probes are not attached, or for a minute
 * after an exchange failed in the routes (a route that throws on events).
 */
final class BccHealthCheck extends AbstractHealthCheck {
    private final BccConsumer consumer;
    private static final long FAILURE_WINDOW_NANOS = 60_000_000_000L;

    BccHealthCheck(BccConsumer consumer) {
        super("tcptrace", "tcptrace-probes");
        this.consumer = consumer;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long failures = consumer.getProcessingFailures();
        builder.detail("kernel.events.read", consumer.getReceivedTotal());
        builder.detail("kernel.events.lost", consumer.getKernelCounters().lost());
        builder.detail("processing.failures", failures);
        builder.detail("buffer.fill", consumer.getBufferFill());
        long sinceFailure = System.nanoTime() - consumer.getLastFailureNanos();
        if (!consumer.isAttached()) {
            builder.message("the kernel probes are not attached").down();
        } else if (failures > 0 && sinceFailure < FAILURE_WINDOW_NANOS) {
            builder.message("an event failed in the routes " + sinceFailure / 1_000_000_000L + " s ago (" + failures
                    + " in all): see the log").down();
        } else {
            builder.up();
        }
    }
}
