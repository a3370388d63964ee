package io.tcptrace.camel;

import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventJson;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * The source route's marshal step: replaces a {@link ConnectionEvent} body with its JSON bytes,
 * written once by Jackson's streaming generator ({@link EventJson}); sinks take the bytes as they
 * are. A body that is not an event (a route step replaced it) is left alone.
 */
public class EventToJson implements Processor {
    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getMessage();
        if (m.getBody() instanceof ConnectionEvent e) {
            m.setBody(EventJson.perThread().write(e));
        }
    }
}
