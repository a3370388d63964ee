package io.tcptrace.app;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The source route's last step: hands each event to every chosen sink's route ({@code
 * tcptrace.sink-uris}), in order, on the calling thread. One sink gets the exchange itself; with
 * several, each gets its own copy, so what one sink route changes the next does not see, and a
 * sink that fails does not keep the event from the others. The first failure is set on the
 * original exchange afterwards, where the {@code bcc:} consumer counts it.
 *
 * <p>This is what a {@code recipientList} of the sinks' endpoints did here, without its
 * per-event machinery (a producer taken from the cache and given back per recipient, a reactive
 * task per copy, an aggregation): with file and Splunk sinks that machinery measured about 30% of
 * the kernel-reading thread's CPU (JFR, 200,000-connect bursts). It is asynchronous in Camel's
 * sense, so a sink route that completes on the calling thread (all of ours) costs no wait, and
 * one that completes later continues the fan-out from its callback.
 */
public class SinkFanOut extends AsyncProcessorSupport implements CamelContextAware {
    private CamelContext camelContext;
    private String uris;
    private List<AsyncProducer> producers = List.of();

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Exception[] firstFailure = new Exception[1];
        if (sendFrom(0, exchange, firstFailure, callback)) {
            finish(exchange, firstFailure);
            callback.done(true);
            return true;
        }
        return false;
    }

    /** Sends to the sinks from index {@code from} on; true when all of them completed on this thread. */
    private boolean sendFrom(int from, Exchange exchange, Exception[] firstFailure, AsyncCallback callback) {
        List<AsyncProducer> sinks = producers;
        for (int i = from; i < sinks.size(); i++) {
            Exchange target = sinks.size() == 1 ? exchange : exchange.copy();
            int next = i + 1;
            boolean sync;
            try {
                sync = sinks.get(i).process(target, doneSync -> {
                    noteFailure(exchange, target, firstFailure);
                    if (!doneSync && sendFrom(next, exchange, firstFailure, callback)) {
                        finish(exchange, firstFailure);
                        callback.done(false);
                    }
                });
            } catch (RuntimeException e) {
                target.setException(e);
                noteFailure(exchange, target, firstFailure);
                sync = true;
            }
            if (!sync) {
                return false;
            }
        }
        return true;
    }

    private static void noteFailure(Exchange exchange, Exchange target, Exception[] firstFailure) {
        // Only copies are noted: a single sink's failure is on the exchange itself already. Kept
        // aside until the end, or the copies for the sinks after it would carry it too.
        if (target != exchange && firstFailure[0] == null && target.getException() != null) {
            firstFailure[0] = target.getException();
        }
    }

    private static void finish(Exchange exchange, Exception[] firstFailure) {
        if (firstFailure[0] != null) {
            exchange.setException(firstFailure[0]);
        }
    }

    @Override
    protected void doStart() throws Exception {
        List<AsyncProducer> started = new ArrayList<>();
        for (String uri : Arrays.stream(uris.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList()) {
            AsyncProducer p = camelContext.getEndpoint(uri).createAsyncProducer();
            ServiceHelper.startService(p);
            started.add(p);
        }
        if (started.isEmpty()) {
            throw new IllegalStateException("no sink endpoint in tcptrace.sink-uris");
        }
        producers = List.copyOf(started);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(producers);
        producers = List.of();
    }

    /** Comma-separated endpoint URIs of the sinks' routes ({@code tcptrace.sink-uris}). */
    public void setUris(String uris) {
        this.uris = uris;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
