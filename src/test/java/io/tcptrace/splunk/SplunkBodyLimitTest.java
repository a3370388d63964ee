package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HEC's max_content_length (or a proxy's body limit) below the batch size: 413 splits the batch,
 * every event is indexed exactly once, and later batches are cut to the size that worked.
 */
class SplunkBodyLimitTest extends SplunkSinkTestSupport {
    private static final int LIMIT = 2000; // about four envelopes

    @Override
    StrictHecServer.Builder hecBuilder() {
        return super.hecBuilder().maxContentLength(LIMIT);
    }

    private List<RecordedRequest> eventPosts() {
        return hec().requests().stream().filter(r -> r.path().equals("/services/collector/event")).toList();
    }

    @Test
    void batchesAreSplitEveryEventIsIndexedOnceAndTheCutIsRemembered() throws Exception {
        connects(200);
        await("200 events indexed", () -> indexed().size() >= 200);
        long tooLarge = eventPosts().stream().filter(r -> r.status() == 413).count();
        assertTrue(tooLarge >= 1, "a batch above the limit was answered 413");
        connects(200);
        await("400 events indexed", () -> indexed().size() >= 400);
        Thread.sleep(300);
        assertEquals(tooLarge, eventPosts().stream().filter(r -> r.status() == 413).count(),
                "the cut is remembered: no 413 for later batches");
        assertEquals(400, indexed().size());
        assertEquals(400, new HashSet<>(keys(indexed())).size(), "exactly once");
        assertTrue(eventPosts().stream().filter(r -> r.status() == 200).allMatch(r -> r.bodyBytes() <= LIMIT));
        assertEquals(0, delivery().getDeadLettered());
        assertEquals(0, delivery().getRetries(), "413 is not retried as it was");
    }
}
