package io.tcptrace.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.camel.BccConsumer;
import org.apache.camel.processor.FilterProcessor;
import io.tcptrace.delivery.DeliveryEndpoint;
import io.tcptrace.delivery.DeliveryStats;
import io.tcptrace.names.NameCounters;
import io.tcptrace.process.ProcessContext;
import java.util.Map;
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
                .description("events the kernel could not hand over").tag("reason", "buffer_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostUntracked())
                .description("events the kernel could not hand over").tag("reason", "pending_map_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.events.filtered", source, e -> e.getKernelCounters().filtered())
                .description("events dropped on purpose by a filter").tag("where", "kernel")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostConnFull())
                .description("events the kernel could not hand over").tag("reason", "conn_map_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().malformed())
                .description("events the kernel could not hand over").tag("reason", "malformed")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostProcess())
                .description("events the kernel could not hand over").tag("reason", "process_record_buffer_full")
                .register(registry);
        FunctionCounter.builder("tcptrace.kernel.events.lost", source, e -> e.getKernelCounters().lostProcessArgs())
                .description("events the kernel could not hand over").tag("reason", "process_args_map_full")
                .register(registry);
        bindProcessContext(source, registry);
        bindNames(source, registry);
        FilterProcessor ownFilter = context.getProcessor("drop-own-connections", FilterProcessor.class);
        if (ownFilter != null) {
            FunctionCounter.builder("tcptrace.events.filtered", ownFilter, FilterProcessor::getFilteredCount)
                    .description("events dropped on purpose by a filter").tag("where", "route-self-pid")
                    .register(registry);
        }
        counter(registry, "tcptrace.route.failures", "events a route failed on (exception), counted by the source",
                source, BccConsumer::getProcessingFailures);
        Gauge.builder("tcptrace.kernel.buffer.fill", source, BccConsumer::getBufferFill)
                .description("how full the kernel ring buffer is, 0 to 1").register(registry);
        counter(registry, "tcptrace.poll.priority.boosts", "times the poll thread took nice 0 because the buffer filled",
                source, BccConsumer::getPriorityBoosts);
        counter(registry, "tcptrace.update.sweeps", "sweeps of the open connections for update events", source,
                BccConsumer::getSweeps);
        counter(registry, "tcptrace.update.sweeps.failed", "sweeps for update events that failed (their updates come"
                + " at a later sweep)", source, BccConsumer::getFailedSweeps);
        Gauge.builder("tcptrace.probes.attached", source, e -> e.isAttached() ? 1 : 0)
                .description("1 while the kernel probes are attached").register(registry);

        context.getEndpoints().stream().filter(DeliveryEndpoint.class::isInstance).map(DeliveryEndpoint.class::cast)
                .forEach(d -> bindDelivery(registry, d));
        JsonLinesFile file = context.getRegistry().findSingleByType(JsonLinesFile.class);
        if (file != null) {
            sinkCounter(registry, "tcptrace.sink.delivered", "file", file, JsonLinesFile::getWritten);
            FunctionCounter.builder("tcptrace.sink.lost", file, JsonLinesFile::getLost).tag("sink", "file")
                    .tag("reason", "write_failed").description("events a sink lost").register(registry);
        }
    }

    /**
     * dest_host: DNS answers by what became of them, names dropped by cause, the cache's size.
     * Zero while dest_host is off (or before the first counter read).
     */
    private static void bindNames(BccConsumer source, MeterRegistry registry) {
        Map<String, ToDoubleFunction<NameCounters>> answers = Map.of("named", NameCounters::answers,
                "without_address", NameCounters::withoutAddress, "truncated", NameCounters::truncated,
                "unreadable", NameCounters::unreadable, "lost_buffer_full", NameCounters::lostBufferFull);
        answers.forEach((result, f) -> FunctionCounter.builder("tcptrace.dns.answers", source, s -> names(s, f))
                .description("DNS answers delivered to this host's sockets, by what became of them")
                .tag("result", result).register(registry));
        FunctionCounter.builder("tcptrace.dest_host.dropped", source, s -> names(s, NameCounters::cacheEvicted))
                .description("destination names dropped while valid").tag("reason", "cache_full").register(registry);
        FunctionCounter.builder("tcptrace.dest_host.dropped", source, s -> names(s, NameCounters::connectionsEvicted))
                .description("destination names dropped while valid").tag("reason", "connection_table_full")
                .register(registry);
        Gauge.builder("tcptrace.dest_host.cache.entries", source, s -> names(s, NameCounters::cacheEntries))
                .description("addresses the name cache names now").register(registry);
    }

    private static double names(BccConsumer source, ToDoubleFunction<NameCounters> f) {
        NameCounters n = source.getNameCounters();
        return n == null ? 0 : f.applyAsDouble(n);
    }

    /** Process context caches: hits, misses (then /proc, the cgroup tree or the user database), evictions. */
    private static void bindProcessContext(BccConsumer source, MeterRegistry registry) {
        processCounter(registry, "tcptrace.process.cache.hits", "process", source, s -> s.processes().hits());
        processCounter(registry, "tcptrace.process.cache.misses", "process", source, s -> s.processes().misses());
        processCounter(registry, "tcptrace.process.cache.evictions", "process", source,
                s -> s.processes().evictions());
        processCounter(registry, "tcptrace.process.cache.hits", "cgroup", source, s -> s.cgroups().hits());
        processCounter(registry, "tcptrace.process.cache.misses", "cgroup", source, s -> s.cgroups().misses());
        processCounter(registry, "tcptrace.process.cache.hits", "user", source, s -> s.users().hits());
        processCounter(registry, "tcptrace.process.cache.misses", "user", source, s -> s.users().misses());
        FunctionCounter.builder("tcptrace.process.lookup.timeouts", source,
                e -> e.getProcessContextStats() == null ? 0 : e.getProcessContextStats().lookupTimeouts())
                .description("lookups that outlasted the budget: the event went out without their result")
                .register(registry);
        Gauge.builder("tcptrace.process.cache.size", source,
                e -> e.getProcessContextStats() == null ? 0 : e.getProcessContextStats().processes().size())
                .description("processes in the process cache").register(registry);
        // Kubernetes names (0 off Kubernetes): a miss sends the event without them and rereads the kubelet's logs.
        for (boolean hit : new boolean[] {true, false}) {
            FunctionCounter.builder("tcptrace.kubernetes.lookups", source, e -> {
                ProcessContext.Stats s = e.getProcessContextStats();
                return s == null || s.pods() == null ? 0 : hit ? s.pods().hits() : s.pods().misses();
            }).tag("result", hit ? "hit" : "miss").description("pod name lookups by container id or pod uid")
                    .register(registry);
        }
        Gauge.builder("tcptrace.kubernetes.pods", source, e -> {
            ProcessContext.Stats s = e.getProcessContextStats();
            return s == null || s.pods() == null ? 0 : s.pods().pods();
        }).description("pods the kubelet's logs name on this node").register(registry);
        Gauge.builder("tcptrace.kubernetes.api.watching", source, e -> {
            ProcessContext.Stats s = e.getProcessContextStats();
            return s != null && s.pods() != null && s.pods().apiWatching() ? 1 : 0;
        }).description("1 while this node's pods are watched on the API server").register(registry);
        Gauge.builder("tcptrace.kubernetes.dropped", source, e -> {
            ProcessContext.Stats s = e.getProcessContextStats();
            return s == null || s.pods() == null ? 0 : s.pods().dropped();
        }).description("pods and containers the last reading left out: beyond its bound").register(registry);
    }

    private static void processCounter(MeterRegistry r, String name, String cache, BccConsumer source,
            ToDoubleFunction<ProcessContext.Stats> f) {
        FunctionCounter.builder(name, source, e -> {
            ProcessContext.Stats s = e.getProcessContextStats();
            return s == null ? 0 : f.applyAsDouble(s);
        }).tag("cache", cache).description("process context cache lookups").register(r);
    }

    private static void bindDelivery(MeterRegistry registry, DeliveryEndpoint d) {
        String sink = d.getName();
        DeliveryStats stats = d.getStats();
        sinkCounter(registry, "tcptrace.sink.delivered", sink, stats, DeliveryStats::getDelivered);
        sinkCounter(registry, "tcptrace.sink.spooled", sink, stats, DeliveryStats::getSpooled);
        sinkCounter(registry, "tcptrace.sink.replayed", sink, stats, DeliveryStats::getReplayed);
        sinkCounter(registry, "tcptrace.sink.dead.lettered", sink, stats, DeliveryStats::getDeadLettered);
        sinkCounter(registry, "tcptrace.sink.retries", sink, stats, DeliveryStats::getRetries);
        FunctionCounter.builder("tcptrace.sink.resent.after.timeout", stats, DeliveryStats::getResentAfterTimeout)
                .tag("sink", sink).description("batches sent again after no answer in time: their events may be"
                        + " stored twice").register(registry);
        FunctionCounter.builder("tcptrace.sink.resent.after.stop", stats, DeliveryStats::getResentAfterStop)
                .tag("sink", sink).description("events a run was sending when it was killed or its stop deadline"
                        + " passed, sent again: they may be stored twice")
                .register(registry);
        for (DeliveryStats.Loss why : DeliveryStats.Loss.values()) {
            FunctionCounter.builder("tcptrace.sink.lost", stats, s -> s.getLost(why)).tag("sink", sink)
                    .tag("reason", why.label).description("events a sink lost").register(registry);
        }
        Gauge.builder("tcptrace.sink.queue.depth", d, DeliveryEndpoint::getQueueDepth).tag("sink", sink)
                .description("events waiting in memory").register(registry);
        Gauge.builder("tcptrace.sink.spool.bytes", d, DeliveryEndpoint::getSpoolBytes).tag("sink", sink)
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
