package io.tcptrace.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.camel.BccConsumer;
import io.tcptrace.ops.TcptraceHealth;
import io.tcptrace.ops.TcptraceMetrics;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hooks the tracer's meters and health checks into the management server once everything runs. */
final class Operations {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    private Operations() {
    }

    static void start(CamelContext context) {
        BccConsumer source = (BccConsumer) context.getRoute("tcp-connect").getConsumer();
        long sinkFailureSeconds = Long.parseLong(
                context.getPropertiesComponent().resolveProperty("tcptrace.health.sink-failure-seconds").orElse("300"));
        TcptraceHealth.register(context, source, sinkFailureSeconds);
        MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
        if (meters != null) {
            TcptraceMetrics.bind(context, source, meters);
        }
        boolean server = Boolean.parseBoolean(
                context.getPropertiesComponent().resolveProperty("camel.management.enabled").orElse("false"));
        if (server) {
            String host = context.getPropertiesComponent().resolveProperty("camel.management.host").orElse("0.0.0.0");
            String port = context.getPropertiesComponent().resolveProperty("camel.management.port").orElse("?");
            LOG.info("metrics on http://{}:{}/observe/metrics, health on http://{}:{}/observe/health", host, port,
                    host, port);
        }
    }
}
