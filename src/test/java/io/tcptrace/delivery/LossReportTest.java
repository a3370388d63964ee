package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loss report says the first loss at once, then at most once per interval, and what came
 * within an interval once it is over even when no more losses come; the reasons are the metric's.
 */
class LossReportTest {

    private static List<String> errors(LogCapture log) {
        return log.lines().stream().filter(l -> l.startsWith("ERROR")).toList();
    }

    @Test
    void saidAtOnceThenOncePerIntervalAndAfterItWithoutNewLosses() throws Exception {
        DeliveryStats stats = new DeliveryStats();
        LossReport report = new LossReport("kafka", stats, 300_000_000L);
        try (LogCapture log = new LogCapture()) {
            stats.lost(DeliveryStats.Loss.SPOOL_FULL, 5);
            report.lost();
            assertEquals(1, errors(log).size(), "the first loss at once");
            assertTrue(errors(log).get(0).contains("kafka: lost 5 records (spool_full +5; in total spool_full=5)"),
                    errors(log).get(0));
            for (int i = 0; i < 10; i++) {
                stats.lost(DeliveryStats.Loss.DEAD_LETTER_FULL, 1);
                report.lost();
                report.tick();
            }
            assertEquals(1, errors(log).size(), "nothing more within the interval: " + errors(log));
            Thread.sleep(350);
            report.tick(); // no new loss: the interval's are said anyway
            assertEquals(2, errors(log).size(), errors(log).toString());
            assertTrue(errors(log).get(1).contains("lost 10 records (dead_letter_full +10; in total spool_full=5,"
                    + " dead_letter_full=10)"), errors(log).get(1));
            report.tick();
            report.rest();
            assertEquals(2, errors(log).size(), "nothing new to say: " + errors(log));
            stats.lost(DeliveryStats.Loss.SPOOL_WRITE_FAILED, 2);
            report.rest(); // at stop, whatever the interval
            assertEquals(3, errors(log).size(), errors(log).toString());
            assertTrue(errors(log).get(2).contains("spool_write_failed +2"), errors(log).get(2));
        }
    }
}
