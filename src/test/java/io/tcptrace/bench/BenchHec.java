package io.tcptrace.bench;

import io.tcptrace.splunk.StrictHecServer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The HEC receiver the side-by-side {@code +splunk} variants send to: the test suite's strict
 * server, in the benchmark's own JVM (its CPU is not the tracer's), started on first use.
 */
final class BenchHec {
    static final String TOKEN = "5d0c4e8a-2b7f-4a61-9e3d-7c1b2a9f8e60";
    private static StrictHecServer server;

    private BenchHec() {
    }

    static synchronized String url() {
        if (server == null) {
            try {
                server = StrictHecServer.withTokens(TOKEN).start();
                server.setIndexListener(event -> { }); // not kept: a full run sends over a million events
            } catch (IOException e) {
                throw new UncheckedIOException("bench: cannot start the HEC receiver", e);
            }
        }
        return server.url();
    }
}
