package io.tcptrace.camel;

import io.tcptrace.event.ConnectionEvent;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.support.DefaultMessage;

/** A {@code bcc:} exchange's message: the event as body, its headers answered lazily ({@link BccHeaders}). */
final class BccMessage extends DefaultMessage {
    private final ConnectionEvent event;
    private final long lostTotal;
    private final boolean batchEnd;

    BccMessage(CamelContext context, ConnectionEvent event, long lostTotal, boolean batchEnd) {
        super(context);
        this.event = event;
        this.lostTotal = lostTotal;
        this.batchEnd = batchEnd;
        setBody(event);
    }

    /** Tells Camel this message has headers before anyone set one (copies ask). */
    @Override
    protected boolean isPopulateHeadersSupported() {
        return true;
    }

    @Override
    protected Map<String, Object> createHeaders() {
        return new BccHeaders(event, lostTotal, batchEnd, BccMessage.super::createHeaders);
    }
}
