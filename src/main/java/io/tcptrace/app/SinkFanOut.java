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
        if (new Delivery(producers, exchange, callback).sendOn()) {
            callback.done(true);
            return true;
        }
        return false;
    }

    /**
     * One event on its way through the sinks, in order: its callback continues with the next sink
     * when a sink completes on another thread. One object per event, whatever the number of sinks.
     */
    private static final class Delivery implements AsyncCallback {
        private final List<AsyncProducer> sinks;
        private final Exchange exchange;
        private final AsyncCallback callback;
        private int next;
        private Exchange target;
        // Kept aside until the end, or the copies for the sinks after it would carry it too.
        private Exception firstFailure;

        Delivery(List<AsyncProducer> sinks, Exchange exchange, AsyncCallback callback) {
            this.sinks = sinks;
            this.exchange = exchange;
            this.callback = callback;
        }

        /** Sends to the remaining sinks; true when all of them completed on this thread (then it is finished). */
        boolean sendOn() {
            while (next < sinks.size()) {
                target = sinks.size() == 1 ? exchange : exchange.copy();
                AsyncProducer sink = sinks.get(next++);
                boolean sync;
                try {
                    sync = sink.process(target, this);
                } catch (RuntimeException e) {
                    target.setException(e);
                    noteFailure();
                    sync = true;
                }
                if (!sync) {
                    return false;
                }
            }
            if (firstFailure != null) {
                exchange.setException(firstFailure);
            }
            return true;
        }

        @Override
        public void done(boolean doneSync) {
            noteFailure();
            if (!doneSync && sendOn()) {
                callback.done(false);
            }
        }

        private void noteFailure() {
            // Only copies are noted: a single sink's failure is on the exchange itself already.
            if (target != exchange && firstFailure == null && target.getException() != null) {
                firstFailure = target.getException();
            }
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
