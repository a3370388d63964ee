package io.tcptrace.delivery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A destination a test scripts: it can be down, refuse a record, take a while, refuse requests
 * above a size limit (HTTP 413), or keep a batch and answer too late (a slow HEC past the client's
 * timeout). Everything it kept is recorded, in order.
 */
final class ScriptedDestination implements BatchSender {
    final List<String> received = Collections.synchronizedList(new ArrayList<>());

    /** A copy taken under the list's lock: the delivery thread appends while a test reads. */
    List<String> received() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }
    final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    final List<Long> acceptedBytes = Collections.synchronizedList(new ArrayList<>());
    volatile boolean down;
    volatile String poison;
    /** Refuses every record as data it cannot take (as HEC's code 6), until cleared. */
    volatile boolean refuseAll;
    volatile long delayMillis;
    volatile long bodyLimit = Long.MAX_VALUE;
    volatile int tooLargeAnswers;
    volatile int lateAnswersLeft;
    volatile int starts;
    volatile int stops;

    @Override
    public Result send(List<byte[]> batch) {
        if (down) {
            return Result.retry("connection refused");
        }
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long bytes = BatchDispatcher.bytes(batch);
        if (bytes > bodyLimit) {
            tooLargeAnswers++;
            return Result.tooLarge("HTTP 413 \"Content-Length of " + bytes + " too large (maximum is " + bodyLimit + ")\"");
        }
        if (refuseAll) {
            return Result.rejected(0, batch.size(), "HTTP 400, HEC code 6");
        }
        batchSizes.add(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String r = new String(batch.get(i), StandardCharsets.UTF_8);
            if (r.equals(poison)) {
                return Result.rejected(i, 1, "HTTP 400, HEC code 6");
            }
            received.add(r);
        }
        acceptedBytes.add(bytes);
        if (lateAnswersLeft > 0) {
            lateAnswersLeft--; // kept, but the answer comes after the client gave up
            return Result.timedOut("no answer within 100 ms");
        }
        return Result.delivered(batch.size());
    }

    @Override
    public boolean healthy() {
        return !down;
    }

    @Override
    public void start(org.apache.camel.CamelContext context) {
        starts++;
    }

    @Override
    public void stop() {
        stops++;
    }
}
