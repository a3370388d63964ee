package io.tcptrace.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.camel.BccConsumer;
import io.tcptrace.ops.TcptraceHealth;
import io.tcptrace.ops.TcptraceMetrics;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.EventNotifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hooks the tracer's meters and health checks into the management server once everything runs. */
final class Operations {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    private Operations() {
    }

    // Camel's own notifiers that react to context and route events only (start-up summaries, the
    // HTTP server's start, route meters), yet by default are asked about every exchange event.
    private static final List<String> CONTEXT_ONLY_NOTIFIERS = List.of(
            "org.apache.camel.main.BaseMainSupport$PlaceholderSummaryEventNotifier",
            "org.apache.camel.component.platform.http.main.MainHttpServerUtil",
            "org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifier",
            "org.apache.camel.component.micrometer.prometheus.MicrometerPrometheus");

    /**
     * Per-exchange event notification costs six notifier checks and event objects per event (8% of
     * the poll thread in a profile) while none of the notifiers above uses them. They are told to
     * ignore exchange events, and notification stays on only if another notifier wants them (for
     * example camel.metrics.enableExchangeEventNotifier=true, or one a user adds).
     */
    static void quietenExchangeEvents(CamelContext context) {
        List<EventNotifier> notifiers = context.getManagementStrategy().getEventNotifiers();
        for (EventNotifier n : notifiers) {
            if (CONTEXT_ONLY_NOTIFIERS.stream().anyMatch(c -> n.getClass().getName().startsWith(c))) {
                n.setIgnoreExchangeEvents(true);
            }
        }
        boolean wanted = notifiers.stream().anyMatch(n -> !n.isIgnoreExchangeEvents());
        context.getCamelContextExtension().setEventNotificationApplicable(wanted);
    }

    static void start(CamelContext context) {
        BccConsumer source = (BccConsumer) context.getRoute("tcp-connect").getConsumer();
        long sinkFailureSeconds = Long.parseLong(
                context.getPropertiesComponent().resolveProperty("tcptrace.health.sink-failure-seconds").orElse("300"));
        TcptraceHealth.register(context, source, sinkFailureSeconds);
        quietenExchangeEvents(context);
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
