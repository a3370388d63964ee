package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.LogCapture;
import io.tcptrace.camel.BccConstants;
import io.tcptrace.camel.BccConsumer;
import io.tcptrace.ops.TcptraceHealth;
import io.tcptrace.ops.TcptraceMetrics;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.Test;

/**
 * A sink route that throws on one event in the middle of a kernel batch, behind the real source
 * route (routes/tcp-connect.yaml) and the real file sink: the events after it in the batch still
 * reach the file, and the failure is counted by the consumer, shown in
 * tcptrace_route_failures_total, logged, and turns the consumer's health check DOWN.
 */
class SinkFailureMidBatchTest extends YamlRoutesAccess {
    private static final int AFTER_FIRST = 9;
    private static final int FAILING = 4;   // index among the AFTER_FIRST connects

    private final List<Integer> seenPorts = new CopyOnWriteArrayList<>();
    private final List<Boolean> seenBatchEnds = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstEntered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile int failPort = -1;

    @Override
    protected List<String> sinks() {
        return List.of("file");
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("tcptrace.sink-uris", "direct:failing-sink");
        return p;
    }

    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        List<RoutesBuilder> builders = new ArrayList<>(Arrays.asList(super.createRouteBuilders()));
        builders.add(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:failing-sink").routeId("failing-sink").process(e -> sinkStep(e)).to("direct:sink-file");
            }
        });
        return builders.toArray(new RoutesBuilder[0]);
    }

    /** The sink's own step, on the poll thread: holds the first event until the test has queued more, throws on one. */
    private void sinkStep(Exchange e) throws InterruptedException {
        int port = e.getMessage().getHeader(BccConstants.SRC_PORT, Integer.class);
        seenPorts.add(port);
        seenBatchEnds.add(Boolean.TRUE.equals(e.getMessage().getHeader(BccConstants.BATCH_END, Boolean.class)));
        if (seenPorts.size() == 1) {
            firstEntered.countDown();
            assertTrue(release.await(30, TimeUnit.SECONDS));
        }
        if (port == failPort) {
            throw new IllegalStateException("sink refuses event from port " + port);
        }
    }

    @Test
    void eventsAfterAFailureInTheBatchAreDeliveredAndTheFailureIsCountedAndVisible() throws Exception {
        BccConsumer consumer = (BccConsumer) context.getRoute("tcp-connect").getConsumer();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TcptraceMetrics.bind(context, consumer, meters);
        TcptraceHealth.register(context, consumer, 300);
        assertEquals(HealthCheck.State.UP, probes().getState());

        try (LogCapture log = new LogCapture()) {
            // The first event holds the poll thread; meanwhile the next connects wait in the ring
            // buffer, so the next poll reads them as one batch.
            int first = KernelTestSupport.connectRefusedFromBoundPort("127.0.0.1", port());
            assertTrue(firstEntered.await(10, TimeUnit.SECONDS), "first event reached the sink");
            List<Integer> after = new ArrayList<>();
            for (int i = 0; i < AFTER_FIRST; i++) {
                after.add(KernelTestSupport.connectRefusedFromBoundPort("127.0.0.1", port()));
            }
            failPort = after.get(FAILING);
            release.countDown();

            List<Integer> expected = new ArrayList<>();
            expected.add(first);
            after.stream().filter(p -> p != failPort).forEach(expected::add);
            await("the events after the failing one in the file", () -> filePorts().size() >= expected.size());
            Thread.sleep(200);
            assertEquals(expected, filePorts(), "every event but the refused one, in order");

            List<Integer> all = new ArrayList<>(List.of(first));
            all.addAll(after);
            assertEquals(all, seenPorts, "the sink saw every event once, in order");
            assertEquals(Boolean.TRUE, seenBatchEnds.get(0), "the first event was a batch of its own");
            for (int i = 1; i < AFTER_FIRST; i++) {
                assertEquals(Boolean.FALSE, seenBatchEnds.get(i), "event " + i + " was mid-batch");
            }
            assertEquals(Boolean.TRUE, seenBatchEnds.get(AFTER_FIRST), "one batch, the failing event in its middle");

            assertEquals(1, consumer.getProcessingFailures());
            assertEquals(AFTER_FIRST + 1, consumer.getReceivedTotal(), "the failed event was still read");
            assertEquals(1.0, Metrics.value(meters.scrape(), "tcptrace_route_failures_total").orElseThrow(),
                    meters.scrape());
            HealthCheck.Result health = probes();
            assertEquals(HealthCheck.State.DOWN, health.getState());
            assertTrue(health.getMessage().orElse("").contains("failed in the routes"), health.getMessage().toString());
            assertEquals(1L, health.getDetails().get("processing.failures"));
            assertTrue(consumer.isAttached(), "DOWN for the failure, not for the probes");
            assertTrue(log.contains("sink refuses event from port " + failPort), String.join("\n", log.lines()));
        }
    }

    private HealthCheck.Result probes() {
        return HealthCheckHelper.invoke(context).stream().filter(r -> r.getCheck().getId().equals("tcptrace-probes"))
                .findFirst().orElseThrow();
    }

    private List<Integer> filePorts() {
        try {
            if (!Files.exists(outputFile())) {
                return List.of();
            }
            Pattern srcPort = Pattern.compile("\"src_port\":(\\d+)");
            List<Integer> ports = new ArrayList<>();
            for (String line : Files.readAllLines(outputFile())) {
                Matcher m = srcPort.matcher(line);
                assertTrue(m.find(), line);
                ports.add(Integer.parseInt(m.group(1)));
            }
            return ports;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
