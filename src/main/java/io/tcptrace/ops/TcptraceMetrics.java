package io.tcptrace.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.camel.BccConsumer;
import org.apache.camel.processor.FilterProcessor;
import io.tcptrace.delivery.StoreAndForward;
import io.tcptrace.sink.JsonLinesFile;
import java.util.function.ToDoubleFunction;
import org.apache.camel.CamelContext;

/**
 * The tracer's own meters, read from the counters the data path keeps anyway (nothing is
 * counted twice, nothing per event is added): kernel reads and losses, filter drops, and per
 * sink deliveries, spool traffic, losses, queue depth and spool size. Prometheus names are these
 * with dots as underscores and {@code _total} on counters; the README lists them all.
 */
public final class TcptraceMetrics {
    private TcptraceMetrics() {
    }

    public static void bind(CamelContext context, BccConsumer source, MeterRegistry registry) {
        counter(registry, "tcptrace.kernel.events.read", "events read from the kernel buffer", source,
                BccConsumer::getReceivedTotal);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostBufferFull())
                .description("connect events the kernel could not hand over").tag("reason", "buffer_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostUntracked())
                .description("connect events the kernel could not hand over").tag("reason", "pending_map_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.events.filtered", source, e -> e.getKernelCounters().filtered())
                .description("connect events dropped on purpose by a filter").tag("where", "kernel")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().malformed())
                .description("connect events the kernel could not hand over").tag("reason", "malformed")
                .register(registry);
        FilterProcessor ownFilter = context.getProcessor("drop-own-connections", FilterProcessor.class);
        if (ownFilter != null) {
            FunctionCounter.builder("tcptrace.events.filtered", ownFilter, FilterProcessor::getFilteredCount)
                    .description("connect events dropped on purpose by a filter").tag("where", "route-self-pid")
                    .register(registry);
        }
        counter(registry, "tcptrace.route.failures", "events a route failed on (exception), counted by the source",
                source, BccConsumer::getProcessingFailures);
        Gauge.builder("tcptrace.kernel.buffer.fill", source, BccConsumer::getBufferFill)
                .description("how full the kernel ring buffer is, 0 to 1").register(registry);
        counter(registry, "tcptrace.poll.priority.boosts", "times the poll thread took nice 0 because the buffer filled",
                source, BccConsumer::getPriorityBoosts);
        Gauge.builder("tcptrace.probes.attached", source, e -> e.isAttached() ? 1 : 0)
                .description("1 while the kernel probes are attached").register(registry);

        context.getRegistry().findByTypeWithName(StoreAndForward.class).values()
                .forEach(d -> bindDelivery(registry, d));
        JsonLinesFile file = context.getRegistry().findSingleByType(JsonLinesFile.class);
        if (file != null) {
            sinkCounter(registry, "tcptrace.sink.delivered", "file", file, JsonLinesFile::getWritten);
            FunctionCounter.builder("tcptrace.sink.lost", file, JsonLinesFile::getLost).tag("sink", "file")
                    .tag("reason", "write_failed").description("events a sink lost").register(registry);
        }
    }

    private static void bindDelivery(MeterRegistry registry, StoreAndForward d) {
        String sink = d.getSender().name();
        sinkCounter(registry, "tcptrace.sink.delivered", sink, d, StoreAndForward::getDelivered);
        sinkCounter(registry, "tcptrace.sink.spooled", sink, d, StoreAndForward::getSpooled);
        sinkCounter(registry, "tcptrace.sink.replayed", sink, d, StoreAndForward::getReplayed);
        sinkCounter(registry, "tcptrace.sink.dead.lettered", sink, d, StoreAndForward::getDeadLettered);
        sinkCounter(registry, "tcptrace.sink.retries", sink, d, StoreAndForward::getRetries);
        FunctionCounter.builder("tcptrace.sink.lost", d, StoreAndForward::getLostSpoolFull).tag("sink", sink)
                .tag("reason", "spool_full").description("events a sink lost").register(registry);
        Gauge.builder("tcptrace.sink.queue.depth", d, StoreAndForward::getQueueDepth).tag("sink", sink)
                .description("events waiting in memory").register(registry);
        Gauge.builder("tcptrace.sink.spool.bytes", d, StoreAndForward::getSpoolBytes).tag("sink", sink)
                .description("bytes waiting in the on-disk spool").register(registry);
        Gauge.builder("tcptrace.sink.failing.seconds", d, x -> x.getFailingForMillis() / 1000.0).tag("sink", sink)
                .description("how long deliveries have been failing; 0 when they succeed").register(registry);
    }

    private static <T> void counter(MeterRegistry r, String name, String help, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).description(help).register(r);
    }

    private static <T> void sinkCounter(MeterRegistry r, String name, String sink, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).tag("sink", sink).register(r);
    }
}
