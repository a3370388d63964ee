package io.tcptrace.splunk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.camel.BccConstants;
import io.tcptrace.event.HostName;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Wraps an event's JSON in the HEC event envelope:
 * {@code {"time":1764013764.521083,"host":..,"source":..,"sourcetype":..,"index":..,"event":{...}}}.
 * {@code time} is the connect's kernel timestamp (epoch seconds, microsecond fraction), not the
 * send time. The constant part is serialised once; per event only the time and body are added.
 *
 * <p>An exchange may carry its own sourcetype in the {@link #SOURCETYPE} header (tcptrace's stats
 * events do); without the header the configured one is used. Without a time header, the time of
 * wrapping is used.
 */
public class HecEnvelope implements Processor {
    /** Header: this event's sourcetype, instead of the configured one. */
    public static final String SOURCETYPE = "TcptraceHecSourcetype";
    private static final ObjectMapper JSON = new ObjectMapper();

    private String host;
    private String source = "tcptrace";
    private String sourcetype = "linux:ebpf:tcp";
    private String index;
    private byte[] middle;

    @Override
    public void process(Exchange exchange) {
        wrap(exchange);
    }

    /** Replaces the body (event JSON bytes) with the envelope. */
    public void wrap(Exchange exchange) {
        Message m = exchange.getMessage();
        byte[] event = m.getBody(byte[].class);
        String ownSourcetype = m.getHeader(SOURCETYPE, String.class);
        long micros = epochMicros(m.getHeader(BccConstants.TIME));
        m.setBody(ownSourcetype == null ? wrap(event, micros) : wrap(event, micros, constantFields(ownSourcetype)));
    }

    /**
     * The kernel time header as epoch microseconds: a Long of microseconds, or an Instant (the
     * header's earlier type), so the envelope works with either.
     */
    static long epochMicros(Object header) {
        if (header instanceof Number n) {
            return n.longValue();
        }
        if (header instanceof Instant t) {
            return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
        }
        // An exchange of the tracer's own (the stats report) has no kernel time: now.
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    byte[] wrap(byte[] event, long epochMicros) {
        if (middle == null) {
            middle = constantFields(sourcetype);
        }
        return wrap(event, epochMicros, middle);
    }

    private static final byte[] TIME = "{\"time\":".getBytes(StandardCharsets.US_ASCII);

    /** One exact-size array, filled in place: this runs once per event on the kernel reader's thread. */
    private static byte[] wrap(byte[] event, long epochMicros, byte[] middle) {
        byte[] seconds = Long.toString(Math.floorDiv(epochMicros, 1_000_000L)).getBytes(StandardCharsets.US_ASCII);
        int fraction = (int) Math.floorMod(epochMicros, 1_000_000L);
        byte[] out = new byte[TIME.length + seconds.length + 7 + middle.length + event.length + 1];
        int at = put(out, 0, TIME);
        at = put(out, at, seconds);
        out[at++] = '.';
        for (int i = 6; i > 0; i--, fraction /= 10) {
            out[at + i - 1] = (byte) ('0' + fraction % 10);
        }
        at += 6;
        at = put(out, at, middle);
        at = put(out, at, event);
        out[at] = '}';
        return out;
    }

    private static int put(byte[] out, int at, byte[] part) {
        System.arraycopy(part, 0, out, at, part.length);
        return at + part.length;
    }

    /** Seconds with six decimals, as the envelope writes them. */
    static String epochSeconds(long epochMicros) {
        String micros = Long.toString(1_000_000 + Math.floorMod(epochMicros, 1_000_000L)); // "1" + six zero-padded digits
        return Math.floorDiv(epochMicros, 1_000_000L) + "." + micros.substring(1);
    }

    private byte[] constantFields(String sourcetype) {
        try {
            StringBuilder sb = new StringBuilder();
            sb.append(",\"host\":").append(JSON.writeValueAsString(host != null && !host.isBlank() ? host : HostName.kernel()));
            sb.append(",\"source\":").append(JSON.writeValueAsString(source));
            sb.append(",\"sourcetype\":").append(JSON.writeValueAsString(sourcetype));
            if (index != null && !index.isBlank()) {
                sb.append(",\"index\":").append(JSON.writeValueAsString(index));
            }
            sb.append(",\"event\":");
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }


    public void setHost(String host) {
        this.host = host;
        middle = null;
    }

    public void setSource(String source) {
        this.source = source;
        middle = null;
    }

    public void setSourcetype(String sourcetype) {
        this.sourcetype = sourcetype;
        middle = null;
    }

    public void setIndex(String index) {
        this.index = index;
        middle = null;
    }
}
