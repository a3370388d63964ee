package io.tcptrace.bench;

import io.tcptrace.splunk.StrictHecServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HEC receiver the side-by-side {@code +splunk} variants send to: the test suite's strict
 * server, in the benchmark's own JVM (its CPU is not the tracer's), started on first use.
 */
final class BenchHec {
    static final String TOKEN = "5d0c4e8a-2b7f-4a61-9e3d-7c1b2a9f8e60";
    private static StrictHecServer server;
    private static final AtomicLong indexed = new AtomicLong();

    private BenchHec() {
    }

    /** Events the receiver has indexed so far, from every variant. */
    static long indexed() {
        return indexed.get();
    }

    static synchronized String url() {
        if (server == null) {
            try {
                server = StrictHecServer.withTokens(TOKEN).start();
                server.setIndexListener(event -> indexed.incrementAndGet()); // counted, not kept: millions of events
            } catch (IOException e) {
                throw new UncheckedIOException("bench: cannot start the HEC receiver", e);
            }
        }
        return server.url();
    }
}
