package io.tcptrace.app;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;

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
 * the kernel-reading thread's CPU (JFR, 200,000-connect bursts).
 */
public class SinkFanOut extends ServiceSupport implements Processor, CamelContextAware {
    private CamelContext camelContext;
    private String uris;
    private List<Producer> producers = List.of();

    @Override
    public void process(Exchange exchange) throws Exception {
        List<Producer> sinks = producers;
        if (sinks.size() == 1) {
            send(sinks.get(0), exchange);
            return;
        }
        Exception first = null;
        for (Producer sink : sinks) {
            Exchange copy = exchange.copy();
            send(sink, copy);
            if (first == null && copy.getException() != null) {
                first = copy.getException();
            }
        }
        if (first != null) {
            exchange.setException(first);
        }
    }

    private static void send(Producer sink, Exchange exchange) {
        try {
            sink.process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
    }

    @Override
    protected void doStart() throws Exception {
        List<Producer> started = new ArrayList<>();
        for (String uri : Arrays.stream(uris.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList()) {
            Producer p = camelContext.getEndpoint(uri).createProducer();
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
