package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The delivery tests' fixture: a Camel context whose route "sink" sends direct:in to
 * delivery:test with a scripted destination, small batches and short retries.
 */
final class DeliveryRoute implements AutoCloseable {
    static final String OPTIONS = "queueCapacity=1000&maxBatchEvents=100&lingerMillis=20"
            + "&retryBaseMillis=20&retryMaxMillis=100&shutdownTimeoutMillis=5000";

    final CamelContext context;
    final ProducerTemplate template;
    final DeliveryEndpoint endpoint;

    private DeliveryRoute(CamelContext context) {
        this.context = context;
        this.template = context.createProducerTemplate();
        this.endpoint = DeliveryEndpoint.find(context, "test").orElseThrow();
    }

    /** Started, with {@code extraOptions} (each beginning with {@code &}) after the defaults. */
    static DeliveryRoute start(ScriptedDestination d, String extraOptions, Path spoolDir) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.getRegistry().bind("dest", d);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in").routeId("sink")
                        .to("delivery:test?sender=#dest&spoolDir=" + spoolDir + "&" + OPTIONS + extraOptions);
            }
        });
        context.start();
        return new DeliveryRoute(context);
    }

    void offer(byte[] record) {
        template.sendBody("direct:in", record);
    }

    @Override
    public void close() {
        context.stop();
    }

    /** Waits up to 15 s for {@code done}. */
    static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }
}
