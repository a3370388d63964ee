package io.tcptrace.delivery;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * The README's "a network sink of your own" sender, kept here so the example compiles against
 * the real {@link BatchSender}: JSON arrays POSTed to a service's URL.
 */
public class AuditSenderExample implements BatchSender {
    private String url;
    private ProducerTemplate http;

    public void setUrl(String url) { this.url = url; }

    @Override public void start(CamelContext context) { http = context.createProducerTemplate(); }

    @Override public Result send(List<byte[]> batch) {
        Exchange reply = http.request(url + "?throwExceptionOnFailure=false", e -> {
            e.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
            e.getMessage().setBody(jsonArray(batch));
        });
        if (reply.getException() != null) return Result.retry(reply.getException().toString());
        int status = reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status / 100 == 2) return Result.delivered(batch.size());
        if (status == 413) return Result.tooLarge("HTTP 413");
        if (status == 429 || status >= 500) return Result.retry("HTTP " + status);
        return Result.rejected(0, batch.size(), "HTTP " + status); // to the dead-letter spool
    }

    @Override public boolean healthy() { return true; } // or ask the service's health URL

    private static byte[] jsonArray(List<byte[]> batch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write('[');
        for (int i = 0; i < batch.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(batch.get(i));
        }
        out.write(']');
        return out.toByteArray();
    }
}
