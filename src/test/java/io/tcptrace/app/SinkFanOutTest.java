package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The source route's fan-out, on real direct: routes: order, copies, a failing sink. */
class SinkFanOutTest {
    private final List<String> seen = new CopyOnWriteArrayList<>();

    private CamelContext context(String uris) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:a").process(e -> seen.add("a:" + e.getMessage().getBody(String.class)))
                        .setBody(constant("changed by a")).setHeader("fromA", constant("yes"));
                from("direct:fails").process(e -> seen.add("fails:" + e.getMessage().getBody(String.class)))
                        .throwException(new IllegalStateException("sink down"));
                // completes on another thread: the fan-out goes on from its callback
                from("direct:later").threads(1).process(e -> seen.add("later:" + e.getMessage().getBody(String.class)
                        + ":" + Thread.currentThread().getName().contains("Threads")))
                        .throwException(new IllegalArgumentException("later sink down"));
                from("direct:b").process(e -> seen.add("b:" + e.getMessage().getBody(String.class)
                        + (e.getMessage().getHeader("fromA") == null ? "" : "+header")));
            }
        });
        SinkFanOut fanOut = new SinkFanOut();
        fanOut.setUris(uris);
        context.getRegistry().bind("sinkFanOut", fanOut);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // A step after the fan-out runs only once the fan-out has called back its completion
                // without a failure.
                from("direct:source").process("sinkFanOut").process(e -> seen.add("after"));
            }
        });
        context.start();
        return context;
    }

    /** Sends one event through the source route; returns the source's exchange. */
    private static Exchange sendThrough(CamelContext context, String body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        assertSame(exchange, context.createProducerTemplate().send("direct:source", exchange));
        assertEquals(0, context.getInflightRepository().size(), "the exchange completed");
        return exchange;
    }

    @Test
    void severalSinksEachGetTheirOwnCopyInOrderAndAFailureReachesTheSource() throws Exception {
        try (CamelContext context = context("direct:a, direct:fails ,direct:b")) {
            Exchange exchange = sendThrough(context, "event-1");
            assertEquals(List.of("a:event-1", "fails:event-1", "b:event-1"), seen, "b sees neither a's body nor its header");
            assertTrue(exchange.getException() instanceof IllegalStateException, String.valueOf(exchange.getException()));
            assertEquals("event-1", exchange.getMessage().getBody(String.class), "the source's exchange keeps its body");
        }
    }

    @Test
    void aSinkThatCompletesOnAnotherThreadDoesNotReorderOrLoseTheRest() throws Exception {
        try (CamelContext context = context("direct:a,direct:later,direct:b")) {
            Exchange exchange = sendThrough(context, "event-3");
            assertEquals(List.of("a:event-3", "later:event-3:true", "b:event-3"), seen);
            assertTrue(exchange.getException() instanceof IllegalArgumentException, String.valueOf(exchange.getException()));
        }
    }

    @Test
    void oneSinkGetsTheExchangeItself() throws Exception {
        try (CamelContext context = context("direct:a")) {
            Exchange exchange = sendThrough(context, "event-2");
            assertEquals(List.of("a:event-2", "after"), seen);
            assertEquals("changed by a", exchange.getMessage().getBody(String.class), "no copy for a single sink");
            assertNull(exchange.getException());
        }
    }
}
