package io.tcptrace.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tcptrace.camel.BccConstants;
import io.tcptrace.camel.BccConsumer;
import io.tcptrace.event.EventSchema;
import io.tcptrace.event.HostName;
import io.tcptrace.event.EventJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The loss and delivery counters as events, so a Splunk user sees loss beside the data
 * (routes/tcptrace-stats.yaml sends them every minute, sourcetype {@code tcptrace:stats}).
 * One JSON object per component: {@code kernel}, and each sink ({@code file}, {@code splunk},
 * {@code kafka}). Counters are what happened since the previous report (the first: since start),
 * so a restart never makes them jump back; gauges are their current value.
 *
 * <p>Read from the {@code tcptrace.*} meters that {@link TcptraceMetrics} binds (the same numbers
 * Prometheus gets, nothing counted twice). With camel metrics off there is no registry: then the
 * meters are bound to a private one, read only by this report.
 */
public class StatsReport implements Processor, CamelContextAware {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every field a stats event can carry, in the order written; the Splunk app's test reads this list. */
    public enum Field {
        TIME("time"), HOST("host"), COMPONENT("component"), INTERVAL_SECONDS("interval_seconds"),
        // kernel
        READ("read"), LOST("lost"), LOST_BUFFER_FULL("lost_buffer_full"), LOST_MAP_FULL("lost_map_full"),
        LOST_CONN_MAP_FULL("lost_conn_map_full"), LOST_MALFORMED("lost_malformed"),
        LOST_PROCESS_CONTEXT("lost_process_context"), FILTERED("filtered"), FILTERED_ROUTE("filtered_route"),
        // sinks
        DELIVERED("delivered"), SPOOLED("spooled"), REPLAYED("replayed"), DEAD_LETTERED("dead_lettered"),
        RETRIES("retries"),
        // a sink's lost, by the reason its metric and its loss report name; written when not 0
        LOST_SPOOL_FULL("lost_spool_full"), LOST_SPOOL_WRITE_FAILED("lost_spool_write_failed"),
        LOST_TORN_RECORD("lost_torn_record"), LOST_DEAD_LETTER_FAILED("lost_dead_letter_failed"),
        LOST_DEAD_LETTER_FULL("lost_dead_letter_full"), LOST_CORRUPT_LINE_LOST("lost_corrupt_line_lost"),
        LOST_WRITE_FAILED("lost_write_failed"),
        QUEUE_DEPTH("queue_depth"), SPOOL_BYTES("spool_bytes"), FAILING_SECONDS("failing_seconds"),
        VENDOR_PRODUCT("vendor_product");

        private final String json;

        Field(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    private CamelContext context;
    private MeterRegistry meters;
    private String host;
    // Built at start-up: the first report covers the time since then.
    private final Instant created = Instant.now();
    private Instant previousTime;
    private final Map<String, Double> previous = new HashMap<>();

    /** Replaces the body with the list of stats events (JSON bytes), one per component. */
    @Override
    public void process(Exchange exchange) {
        Instant now = Instant.now();
        exchange.getMessage().setHeader(BccConstants.TIME, now);
        exchange.getMessage().setBody(report(now));
    }

    /** Field names, for the Splunk app's validation. */
    public static List<String> fieldNames() {
        return Arrays.stream(Field.values()).map(Field::json).toList();
    }

    /** The stats events for this moment, one per component; counters since the previous call. */
    public synchronized List<byte[]> report(Instant now) {
        MeterRegistry r = registry();
        if (previousTime == null) {
            previousTime = created;
        }
        double interval = Math.max(0, now.toEpochMilli() - previousTime.toEpochMilli()) / 1000.0;
        previousTime = now;
        List<byte[]> events = new ArrayList<>();
        ObjectNode kernel = header(now, "kernel", interval);
        long bufferFull = kernelLost(r, "buffer_full");
        long mapFull = kernelLost(r, "pending_map_full");
        long connMapFull = kernelLost(r, "conn_map_full"); // a close event
        long malformed = kernelLost(r, "malformed");
        kernel.put(Field.READ.json(), delta(r, "kernel", "tcptrace.kernel.events.read", null, null));
        kernel.put(Field.LOST.json(), bufferFull + mapFull + connMapFull + malformed);
        kernel.put(Field.LOST_BUFFER_FULL.json(), bufferFull);
        kernel.put(Field.LOST_MAP_FULL.json(), mapFull);
        kernel.put(Field.LOST_CONN_MAP_FULL.json(), connMapFull);
        kernel.put(Field.LOST_MALFORMED.json(), malformed);
        // Not in "lost": a lost process record costs events their context, not the events.
        kernel.put(Field.LOST_PROCESS_CONTEXT.json(),
                kernelLost(r, "process_record_buffer_full") + kernelLost(r, "process_args_map_full"));
        kernel.put(Field.FILTERED.json(), delta(r, "kernel", "tcptrace.events.filtered", "where", "kernel"));
        kernel.put(Field.FILTERED_ROUTE.json(), delta(r, "kernel", "tcptrace.events.filtered", "where", "route-self-pid"));
        events.add(bytes(kernel));
        for (String sink : sinks(r)) {
            ObjectNode e = header(now, sink, interval);
            e.put(Field.DELIVERED.json(), delta(r, sink, "tcptrace.sink.delivered", "sink", sink));
            e.put(Field.SPOOLED.json(), delta(r, sink, "tcptrace.sink.spooled", "sink", sink));
            e.put(Field.REPLAYED.json(), delta(r, sink, "tcptrace.sink.replayed", "sink", sink));
            e.put(Field.DEAD_LETTERED.json(), delta(r, sink, "tcptrace.sink.dead.lettered", "sink", sink));
            e.put(Field.RETRIES.json(), delta(r, sink, "tcptrace.sink.retries", "sink", sink));
            e.put(Field.LOST.json(), delta(r, sink, "tcptrace.sink.lost", "sink", sink));
            for (Field reason : SINK_LOSS_REASONS) {
                long n = sinkLost(r, sink, reason.json().substring("lost_".length()));
                if (n != 0) {
                    e.put(reason.json(), n);
                }
            }
            e.put(Field.QUEUE_DEPTH.json(), (long) sum(r, "tcptrace.sink.queue.depth", "sink", sink));
            e.put(Field.SPOOL_BYTES.json(), (long) sum(r, "tcptrace.sink.spool.bytes", "sink", sink));
            e.put(Field.FAILING_SECONDS.json(), sum(r, "tcptrace.sink.failing.seconds", "sink", sink));
            events.add(bytes(e));
        }
        return events;
    }

    private ObjectNode header(Instant now, String component, double interval) {
        ObjectNode e = JSON.createObjectNode();
        e.put(Field.TIME.json(), EventJson.TIME_FORMAT.format(now));
        e.put(Field.HOST.json(), host());
        e.put(Field.COMPONENT.json(), component);
        e.put(Field.INTERVAL_SECONDS.json(), interval);
        e.put(Field.VENDOR_PRODUCT.json(), EventSchema.VENDOR_PRODUCT);
        return e;
    }

    private long kernelLost(MeterRegistry r, String reason) {
        return delta(r, "kernel", "tcptrace.kernel.events.lost", "reason", reason);
    }

    /** Increase since the last report; a counter that went down (route restarted, map reloaded) counts from zero. */
    private static final List<Field> SINK_LOSS_REASONS = List.of(Field.LOST_SPOOL_FULL, Field.LOST_SPOOL_WRITE_FAILED,
            Field.LOST_TORN_RECORD, Field.LOST_DEAD_LETTER_FAILED, Field.LOST_DEAD_LETTER_FULL,
            Field.LOST_CORRUPT_LINE_LOST, Field.LOST_WRITE_FAILED);

    /** A sink's losses for one reason since the previous report. */
    private long sinkLost(MeterRegistry r, String sink, String reason) {
        double now = 0;
        for (Meter m : r.find("tcptrace.sink.lost").tag("sink", sink).tag("reason", reason).meters()) {
            for (Measurement x : m.measure()) {
                now += x.getValue();
            }
        }
        Double before = previous.put(sink + "/tcptrace.sink.lost/" + reason, now);
        return Math.round(before == null || now < before ? now : now - before);
    }

    private long delta(MeterRegistry r, String component, String meter, String tag, String value) {
        double now = sum(r, meter, tag, value);
        Double before = previous.put(component + "/" + meter + "/" + value, now);
        double d = before == null || now < before ? now : now - before;
        return Math.round(d);
    }

    private static double sum(MeterRegistry r, String meter, String tag, String value) {
        double total = 0;
        for (Meter m : tag == null ? r.find(meter).meters() : r.find(meter).tag(tag, value).meters()) {
            for (Measurement x : m.measure()) {
                total += x.getValue();
            }
        }
        return total;
    }

    private static TreeSet<String> sinks(MeterRegistry r) {
        TreeSet<String> names = new TreeSet<>();
        for (Meter m : r.find("tcptrace.sink.delivered").meters()) {
            String sink = m.getId().getTag("sink");
            if (sink != null) {
                names.add(sink);
            }
        }
        return names;
    }

    private MeterRegistry registry() {
        if (meters == null) {
            meters = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (meters == null || meters.find("tcptrace.kernel.events.read").meter() == null) {
                SimpleMeterRegistry own = new SimpleMeterRegistry();
                TcptraceMetrics.bind(context, (BccConsumer) context.getRoute("tcp-connect").getConsumer(), own);
                meters = own;
            }
        }
        return meters;
    }

    private String host() {
        if (host == null || host.isBlank()) {
            host = HostName.kernel();
        }
        return host;
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Host name in the events; empty means the kernel's, as in the connection events. */
    public void setHost(String host) {
        this.host = host;
    }

    /** The registry to read; default: the Camel context's, else a private one. */
    public void setMeters(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.context = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }
}
