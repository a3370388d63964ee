package io.tcptrace.camel;

import io.tcptrace.event.ConnectionEvent;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
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

    /** A copy (multicast to several sinks, a wire tap) is a bcc message too, its headers lazy as well. */
    @Override
    public BccMessage newInstance() {
        return new BccMessage(getCamelContext(), event, lostTotal, batchEnd);
    }

    /**
     * Copying from a message of the same event whose headers were neither written nor read as a
     * map has nothing to copy: both answer them from the event. Profiling two sinks showed the
     * copy's case-insensitive header map at 11% of the tracer's CPU.
     */
    @Override
    public void copyFromWithNewBody(Message that, Object newBody) {
        if (that instanceof BccMessage source && source.event == event && source.lazyHeaders() && lazyHeaders()) {
            if (getExchange() == null) {
                setExchange(that.getExchange());
            }
            if (that.hasMessageId()) {
                setMessageId(that.getMessageId());
            }
            setBody(newBody);
            return;
        }
        super.copyFromWithNewBody(that, newBody);
    }

    private boolean lazyHeaders() {
        return getHeaders() instanceof BccHeaders h && h.fromEventOnly();
    }

    @Override
    protected Map<String, Object> createHeaders() {
        return new BccHeaders(event, lostTotal, batchEnd, BccMessage.super::createHeaders);
    }
}
