package io.tcptrace.splunk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.camel.BccConstants;
import io.tcptrace.event.HostName;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Wraps an event's JSON in the HEC event envelope:
 * {@code {"time":1764013764.521083,"host":..,"source":..,"sourcetype":..,"index":..,"event":{...}}}.
 * {@code time} is the connect's kernel timestamp (epoch seconds, microsecond fraction), not the
 * send time. The constant part is serialised once; per event only the time and body are added.
 */
public class HecEnvelope implements Processor {
    private static final ObjectMapper JSON = new ObjectMapper();

    private String host;
    private String source = "tcptrace";
    private String sourcetype = "linux:ebpf:tcpconnect";
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
        long micros = m.getHeader(BccConstants.TIME, Long.class);
        m.setBody(wrap(event, micros));
    }

    byte[] wrap(byte[] event, long epochMicros) {
        if (middle == null) {
            middle = constantFields();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(event.length + middle.length + 32);
        out.writeBytes("{\"time\":".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(epochSeconds(epochMicros).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(middle);
        out.writeBytes(event);
        out.write('}');
        return out.toByteArray();
    }

    /** Seconds with six decimals, without String.format: this runs once per event. */
    static String epochSeconds(long epochMicros) {
        // "1" + six zero-padded digits
        String fraction = Integer.toString(1_000_000 + (int) Math.floorMod(epochMicros, 1_000_000L));
        return Math.floorDiv(epochMicros, 1_000_000L) + "." + fraction.substring(1);
    }

    private byte[] constantFields() {
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
