package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery: component in a route, against a scripted destination: order, no loss, no
 * duplicates, no blocking, the spool, dead-letters, "too large" splits, timeouts, restarts.
 */
class DeliveryComponentTest {
    @TempDir
    Path tmp;

    private final List<DeliveryRoute> routes = new ArrayList<>();
    /** Contexts a test builds itself (two endpoints, a bad option). */
    private final List<CamelContext> contexts = new ArrayList<>();
    private CamelContext context;
    private ProducerTemplate template;

    @AfterEach
    void stopAll() {
        routes.forEach(DeliveryRoute::close);
        contexts.forEach(CamelContext::stop);
    }

    /** A context with route "sink": direct:in to delivery:test with the given destination. */
    private DeliveryEndpoint start(ScriptedDestination d, String extraOptions) throws Exception {
        return start(d, extraOptions, tmp);
    }

    private DeliveryEndpoint start(ScriptedDestination d, String extraOptions, Path spoolDir) throws Exception {
        DeliveryRoute r = DeliveryRoute.start(d, extraOptions, spoolDir);
        routes.add(r);
        context = r.context;
        template = r.template;
        return r.endpoint;
    }

    private void offer(int i) {
        template.sendBody("direct:in", rec(i));
    }

    private static byte[] rec(int i) {
        return ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> expected(int from, int to) {
        List<String> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add("{\"n\":" + i + "}");
        }
        return l;
    }

    /** Like assertEquals, but names the first difference instead of printing thousands of records. */
    private static void assertSameRecords(List<String> want, List<String> got) {
        List<String> g = new ArrayList<>(got);
        for (int i = 0; i < Math.min(want.size(), g.size()); i++) {
            assertEquals(want.get(i), g.get(i), "record " + i + " of " + g.size() + " (want " + want.size()
                    + "); got around it: " + g.subList(Math.max(0, i - 3), Math.min(g.size(), i + 4)));
        }
        assertEquals(want.size(), g.size(), "records received");
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        DeliveryRoute.await(done);
    }

    @Test
    void aBurstPastTheMemoryQueueGoesThroughTheSpoolInOrderInBoundedBatches() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.delayMillis = 10; // 10,000 records/s, far slower than the offers even on a loaded machine: the burst must overflow the 1,000-record queue
        DeliveryEndpoint e = start(d, "");
        for (int i = 0; i < 5000; i++) {
            offer(i);
        }
        await(() -> d.received.size() == 5000);
        context.getRouteController().stopRoute("sink");
        assertSameRecords(expected(0, 5000), d.received());
        assertTrue(d.batchSizes.stream().allMatch(n -> n <= 100), d.batchSizes.toString());
        assertTrue(e.getStats().getSpooled() > 0, "the burst overflowed into the spool");
        assertEquals(e.getStats().getSpooled(), e.getStats().getReplayed(), "every spooled record was replayed");
        assertEquals(5000, e.getStats().getDelivered());
        assertEquals(0, e.getSpoolBytes());
    }

    @Test
    void anOutageSpoolsWithoutBlockingAndReplaysExactlyOnceInOrder() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        DeliveryEndpoint e = start(d, "");
        for (int i = 0; i < 300; i++) {
            offer(i);
        }
        await(() -> d.received.size() == 300);
        assertEquals(DeliveryState.DIRECT, e.getState());
        d.down = true;
        long worst = 0;
        for (int i = 300; i < 20_300; i++) {
            long t = System.nanoTime();
            offer(i);
            worst = Math.max(worst, System.nanoTime() - t);
        }
        assertTrue(worst < 200_000_000L, "offer blocked for " + worst / 1_000_000 + " ms");
        assertTrue(e.getStats().getSpooled() > 0, "an outage spools");
        await(() -> e.getState() == DeliveryState.FAILING);
        assertTrue(e.getFailingForMillis() >= 0);
        d.down = false;
        await(() -> d.received.size() == 20_300);
        await(() -> e.getState() == DeliveryState.DIRECT);
        assertEquals(0, e.getFailingForMillis());
        context.getRouteController().stopRoute("sink");
        assertSameRecords(expected(0, 20_300), d.received());
        assertTrue(e.getStats().getRetries() > 0);
        assertEquals(0, e.getStats().getLostTotal());
    }

    @Test
    void aSlowDestinationOverflowsToTheSpoolAndCatchesUpInOrder() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.delayMillis = 5; // about 20,000 records/s at 100 per batch: slower than the offers
        DeliveryEndpoint e = start(d, "");
        for (int i = 0; i < 20_000; i++) {
            offer(i);
        }
        assertTrue(e.getStats().getSpooled() > 0, "the memory queue overflowed");
        await(() -> d.received.size() == 20_000);
        context.getRouteController().stopRoute("sink");
        assertSameRecords(expected(0, 20_000), d.received());
        assertEquals(0, e.getSpoolBytes());
    }

    @Test
    void aRefusedRecordIsDeadLetteredOnceAndTheRestDeliveredOnce() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.poison = "{\"n\":42}";
        DeliveryEndpoint e = start(d, "");
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 100; i++) {
                offer(i);
            }
            await(() -> d.received.size() == 99);
            context.getRouteController().stopRoute("sink");
            assertEquals(1, log.lines().stream().filter(l -> l.startsWith("ERROR") && l.contains("refused")).count(),
                    log.lines().toString());
        }
        List<String> want = expected(0, 100);
        want.remove("{\"n\":42}");
        assertEquals(want, d.received());
        assertEquals(1, e.getStats().getDeadLettered());
        assertEquals(0, e.getStats().getRetries(), "a refusal is never retried");
        assertEquals(List.of("{\"n\":42}"), deadLetterLines());
    }

    @Test
    void tooLargeSplitsDownToWhatFitsRemembersTheCutAndDeadLettersASingleRecordTooLarge() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.bodyLimit = 200; // about 20 records of 9-10 bytes; batches of up to 100 are offered
        DeliveryEndpoint e = start(d, "");
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 1000; i++) {
                offer(i);
            }
            await(() -> d.received.size() == 1000);
            int tooLargeAfterFirst = d.tooLargeAnswers;
            for (int i = 1000; i < 2000; i++) {
                offer(i);
            }
            await(() -> d.received.size() == 2000);
            assertEquals(tooLargeAfterFirst, d.tooLargeAnswers, "the cut is remembered: no more 413s");
            assertTrue(tooLargeAfterFirst >= 1 && tooLargeAfterFirst <= 4, "halved a few times: " + tooLargeAfterFirst);
            assertTrue(d.acceptedBytes.stream().allMatch(b -> b <= 200), d.acceptedBytes.toString());
            assertSameRecords(expected(0, 2000), d.received());
            assertEquals(0, e.getStats().getDeadLettered());

            // A record larger than the limit on its own: dead-lettered with one ERROR naming the size.
            d.bodyLimit = 5;
            offer(2000);
            await(() -> e.getStats().getDeadLettered() == 1);
            assertEquals(1, log.lines().stream().filter(l -> l.startsWith("ERROR")).count(), log.lines().toString());
            assertTrue(log.contains("a single record of 10 bytes is too large"), log.lines().toString());
        }
        assertEquals(List.of("{\"n\":2000}"), deadLetterLines());
        assertEquals(0, e.getStats().getRetries(), "a 413 is never retried as it was");
    }

    @Test
    void noAnswerInTimeResendsInSmallerBatchesCountsItAndWarnsOnce() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.lateAnswersLeft = 3;
        DeliveryEndpoint e = start(d, "");
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 1000; i++) {
                offer(i);
            }
            await(() -> new HashSet<>(d.received()).size() == 1000 && e.getState() == DeliveryState.DIRECT);
            assertEquals(1, log.lines().stream().filter(l -> l.contains("may be stored twice")).count(),
                    log.lines().toString());
        }
        assertEquals(3, e.getStats().getResentAfterTimeout());
        // Each timed-out batch halved the next: 100, then at most 50, then at most 25 were kept twice.
        int duplicates = d.received.size() - 1000;
        assertTrue(duplicates > 0 && duplicates <= 175, "duplicates bounded: " + duplicates);
        List<Integer> sizes = new ArrayList<>(d.batchSizes);
        assertTrue(sizes.get(1) <= Math.max(1, sizes.get(0) / 2) && sizes.get(2) <= Math.max(1, sizes.get(1) / 2), sizes.toString());
        assertEquals(new HashSet<>(expected(0, 1000)), new HashSet<>(d.received()), "every record arrived");
    }

    @Test
    void whatIsLeftAtStopIsReplayedByTheNextStartOfTheRoute() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.down = true;
        DeliveryEndpoint e = start(d, "");
        for (int i = 0; i < 1000; i++) {
            offer(i);
        }
        context.getRouteController().stopRoute("sink");
        assertEquals(1, d.stops, "the sender stops with the route");
        assertEquals(List.of(), d.received());
        assertTrue(e.getSpoolBytes() > 0, "what was in memory at stop is on disk");
        d.down = false;
        context.getRouteController().startRoute("sink");
        assertEquals(2, d.starts, "the sender starts with the route, once each time");
        await(() -> d.received.size() == 1000);
        assertSameRecords(expected(0, 1000), d.received());
        assertEquals(1000, e.getStats().getReplayed());
    }

    @Test
    void aNewContextOnTheSameSpoolReplaysIt() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.down = true;
        start(d, "");
        for (int i = 0; i < 500; i++) {
            offer(i);
        }
        context.stop();
        ScriptedDestination next = new ScriptedDestination();
        try (LogCapture log = new LogCapture()) {
            DeliveryEndpoint e = start(next, "");
            await(() -> next.received.size() == 500);
            assertTrue(log.contains("spool holds"), log.lines().toString());
            assertEquals(500, e.getStats().getReplayed());
        }
        assertSameRecords(expected(0, 500), next.received);
    }

    @Test
    void aFullSpoolCountsWhatItLosesUnderItsOwnReason() throws Exception {
        ScriptedDestination d = new ScriptedDestination();
        d.down = true;
        DeliveryEndpoint e = start(d, "&maxSpoolBytes=2000");
        for (int i = 0; i < 1000; i++) {
            offer(i);
        }
        context.getRouteController().stopRoute("sink");
        DeliveryStats s = e.getStats();
        assertTrue(s.getLost(DeliveryStats.Loss.SPOOL_FULL) > 0);
        assertEquals(0, s.getLost(DeliveryStats.Loss.SPOOL_WRITE_FAILED));
        assertEquals(0, s.getLost(DeliveryStats.Loss.TORN_RECORD));
        assertEquals(1000, s.getSpooled() + s.getLostTotal() + s.getDelivered(),
                "every record is spooled, delivered or counted lost");
    }

    @Test
    void aRecordCutShortByAHardKillIsDroppedAndCountedAsTorn() throws Exception {
        Path spoolDir = Files.createDirectories(tmp.resolve("spool"));
        Files.writeString(spoolDir.resolve("current.open"), "{\"n\":0}\n{\"n\":1}\n{\"n\":");
        ScriptedDestination d = new ScriptedDestination();
        DeliveryEndpoint e = start(d, "");
        await(() -> d.received.size() == 2);
        assertEquals(expected(0, 2), d.received());
        assertEquals(1, e.getStats().getLost(DeliveryStats.Loss.TORN_RECORD));
        assertEquals(0, e.getStats().getLost(DeliveryStats.Loss.SPOOL_FULL));
    }

    @Test
    void twoEndpointsDeliverIndependently() throws Exception {
        ScriptedDestination up = new ScriptedDestination();
        ScriptedDestination down = new ScriptedDestination();
        down.down = true;
        context = new DefaultCamelContext();
        contexts.add(context);
        context.getRegistry().bind("up", up);
        context.getRegistry().bind("down", down);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in").multicast().to("direct:a", "direct:b");
                from("direct:a").to("delivery:a?sender=#up&spoolDir=" + tmp.resolve("a") + "&" + DeliveryRoute.OPTIONS);
                from("direct:b").to("delivery:b?sender=#down&spoolDir=" + tmp.resolve("b") + "&" + DeliveryRoute.OPTIONS);
            }
        });
        context.start();
        template = context.createProducerTemplate();
        for (int i = 0; i < 500; i++) {
            offer(i);
        }
        DeliveryEndpoint a = DeliveryEndpoint.find(context, "a").orElseThrow();
        DeliveryEndpoint b = DeliveryEndpoint.find(context, "b").orElseThrow();
        await(() -> up.received.size() == 500 && b.getStats().getSpooled() == 500);
        assertSameRecords(expected(0, 500), up.received);
        assertEquals(DeliveryState.DIRECT, a.getState());
        assertEquals(DeliveryState.FAILING, b.getState());
        assertEquals(0, a.getStats().getSpooled());
        assertTrue(Files.exists(tmp.resolve("b/spool")) && Files.exists(tmp.resolve("a/spool")));
        down.down = false;
        await(() -> down.received.size() == 500);
        assertSameRecords(expected(0, 500), down.received);
    }

    @Test
    void missingOptionsAreNamedAtStart() {
        context = new DefaultCamelContext();
        contexts.add(context);
        Exception e = assertThrows(Exception.class, () -> {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:in").to("delivery:x?spoolDir=" + tmp);
                }
            });
            context.start();
        });
        String all = Stream.iterate((Throwable) e, t -> t != null, Throwable::getCause).map(Throwable::getMessage)
                .toList().toString();
        assertTrue(all.contains("delivery:x needs sender=#beanName"), all);
    }

    private List<String> deadLetterLines() throws Exception {
        try (Stream<Path> files = Files.list(tmp.resolve("dead-letter"))) {
            List<String> lines = new ArrayList<>();
            for (Path f : files.filter(p -> p.toString().endsWith(".open") || p.toString().endsWith(".jsonl")).sorted()
                    .toList()) {
                lines.addAll(Files.readAllLines(f));
            }
            return lines;
        }
    }
}
