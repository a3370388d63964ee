package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import java.time.Duration;
import java.util.HashSet;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A HEC slower than the response timeout indexes batches the client gave up on. Duplicates are
 * bounded: the timeout grows, the next batches are smaller, resends are counted, one WARN says why.
 */
class SplunkSlowHecTest extends SplunkSinkTestSupport {

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("splunk.response-timeout-ms", "1000");
        p.setProperty("splunk.retry-base-ms", "50");
        p.setProperty("splunk.retry-max-ms", "400");
        return p;
    }

    @Test
    void duplicatesAreBoundedCountedAndExplainedOnce() throws Exception {
        hec().setResponseDelay(Duration.ofMillis(1500));
        int n = 100;
        try (LogCapture log = new LogCapture()) {
            connects(n);
            await("every event indexed", () -> new HashSet<>(keys(indexed())).size() >= n
                    && delivery().getDelivered() >= n);
            int settled = indexed().size();
            Thread.sleep(2500);
            assertEquals(settled, indexed().size(), "no more resends once everything is delivered");
            assertEquals(1, log.lines().stream().filter(l -> l.contains("may be stored twice")).count(),
                    log.lines().toString());
        }
        assertTrue(delivery().getResentAfterTimeout() >= 1, "a resend after a timeout is counted");
        int duplicates = indexed().size() - n;
        assertTrue(duplicates >= 1 && duplicates <= n, "duplicates bounded by the first timed-out batch: " + duplicates);
        assertEquals(0, delivery().getLostTotal());
    }
}
