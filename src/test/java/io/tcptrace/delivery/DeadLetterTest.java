package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dead-letter spool across restarts: its size limit (what it cannot take is lost and counted
 * as dead_letter_full, one ERROR a minute), the WARN at start naming what waits there, and
 * resendDeadLetter moving it back into the spool: every record delivered once, also when the
 * setting stays on for the next start.
 */
class DeadLetterTest {
    @TempDir
    Path tmp;
    private final List<DeliveryRoute> routes = new ArrayList<>();
    private DeliveryRoute route;

    @AfterEach
    void stopAll() {
        routes.forEach(DeliveryRoute::close);
    }

    private DeliveryEndpoint start(ScriptedDestination d, String extra) throws Exception {
        route = DeliveryRoute.start(d, extra, tmp);
        routes.add(route);
        return route.endpoint;
    }

    private void offer(String body) {
        route.offer(body.getBytes(StandardCharsets.UTF_8));
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        DeliveryRoute.await(done);
    }

    private long deadLetterFiles() throws Exception {
        try (Stream<Path> f = Files.list(tmp.resolve("dead-letter"))) {
            return f.filter(p -> p.toString().endsWith(".jsonl")).count();
        }
    }

    @Test
    void refusedRecordsWaitAreNamedAtStartAndAreResentOnce() throws Exception {
        ScriptedDestination refusing = new ScriptedDestination();
        refusing.refuseAll = true;
        DeliveryEndpoint e = start(refusing, "");
        for (int i = 0; i < 250; i++) {
            offer("{\"n\":" + i + "}");
        }
        await(() -> e.getStats().getDeadLettered() == 250);
        route.close();

        // The next start says what waits, and sends nothing of it.
        ScriptedDestination fixed = new ScriptedDestination();
        try (LogCapture log = new LogCapture()) {
            start(fixed, "");
            assertTrue(log.lines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains("250 records")
                    && l.contains("dead-letter spool") && l.contains("resend-dead-letter")), log.lines().toString());
        }
        Thread.sleep(300);
        assertEquals(List.of(), fixed.received());
        route.close();

        // With resendDeadLetter, after the spool's own records: here the spool holds 10 from an outage.
        ScriptedDestination down = new ScriptedDestination();
        down.down = true;
        start(down, "");
        for (int i = 1000; i < 1010; i++) {
            offer("{\"n\":" + i + "}");
        }
        Thread.sleep(200);
        route.close();
        ScriptedDestination again = new ScriptedDestination();
        try (LogCapture log = new LogCapture()) {
            start(again, "&resendDeadLetter=true");
            assertTrue(log.contains("250 records"), log.lines().toString());
        }
        await(() -> again.received().size() == 260);
        List<String> want = new ArrayList<>();
        for (int i = 1000; i < 1010; i++) {
            want.add("{\"n\":" + i + "}");
        }
        for (int i = 0; i < 250; i++) {
            want.add("{\"n\":" + i + "}");
        }
        assertEquals(want, again.received(), "the spool's records first, then the dead-lettered ones, each once");
        assertEquals(0, deadLetterFiles());
        route.close();

        // The setting left on: nothing is sent twice.
        ScriptedDestination later = new ScriptedDestination();
        start(later, "&resendDeadLetter=true");
        Thread.sleep(500);
        assertEquals(List.of(), later.received());
    }

    @Test
    void aFullDeadLetterSpoolLosesCountsAndSaysSoOnce() throws Exception {
        ScriptedDestination refusing = new ScriptedDestination();
        refusing.refuseAll = true;
        DeliveryEndpoint e = start(refusing, "&deadLetterMaxBytes=1048576");
        String pad = "x".repeat(1000);
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 1500; i++) {
                offer("{\"n\":" + i + ",\"pad\":\"" + pad + "\"}");
            }
            await(() -> e.getStats().getDeadLettered() + e.getStats().getLost(DeliveryStats.Loss.DEAD_LETTER_FULL) == 1500);
            assertTrue(e.getStats().getLost(DeliveryStats.Loss.DEAD_LETTER_FULL) > 0, "some lost at the limit");
            assertTrue(e.getStats().getDeadLettered() * 1010 <= 1048576 + 1010 * 100, "the limit held");
            assertEquals(1, log.lines().stream().filter(l -> l.startsWith("ERROR") && l.contains("at its size limit"))
                    .count(), log.lines().toString());
        }
    }

    @Test
    void theLimitIsChecked() {
        DeliveryConfiguration c = new DeliveryConfiguration();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> c.setDeadLetterMaxBytes(1000));
        assertTrue(x.getMessage().contains("deadLetterMaxBytes=1000 is out of range 1048576 to any")
                && x.getMessage().contains("dead-letter-max-bytes"), x.getMessage());
    }
}
