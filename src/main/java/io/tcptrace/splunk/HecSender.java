package io.tcptrace.splunk;

import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.delivery.CamelBatchSender;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts batches of HEC envelopes to {@code /services/collector/event} as concatenated JSON
 * objects, through camel-http (pooled, persistent connections), gzip-compressed by default.
 * Classifies each reply for {@link io.tcptrace.delivery.StoreAndForward}: 200 delivered; 429,
 * 5xx and "busy" retried; 400/401/403 refused for good, except that on
 * {@code invalid-event-number} the events before the bad one count as indexed. With indexer
 * acknowledgement on, a batch counts as delivered only once its ackId is acknowledged.
 *
 * <p>The token goes only into the Authorization header of requests; it is never logged and never
 * part of a URI, exception text or metric.
 */
public class HecSender extends CamelBatchSender {
    private static final Logger LOG = LoggerFactory.getLogger(HecSender.class);

    private String url;
    private String httpOptions = "throwExceptionOnFailure=false";
    private String tlsOptions;
    private HecTls tls;
    private String eventUri;
    private String healthUri;
    private String ackUri;
    private String token;
    private boolean gzip = true;
    private boolean ack;
    private long ackTimeoutMillis = 60_000;
    private long ackPollMillis = 250;
    private final String channel = UUID.randomUUID().toString();
    private MeterRegistry meters;

    /** Checks the settings and builds the camel-http endpoint URIs; the bean's init method. */
    public void init() {
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("the splunk sink needs the HEC address: set SPLUNK_HEC_URL, e.g. https://splunk.example.com:8088");
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalStateException("SPLUNK_HEC_URL must start with https:// or http:// (got a value without a scheme)");
        }
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("the splunk sink needs a HEC token: set SPLUNK_HEC_TOKEN");
        }
        String base = url.replaceAll("/+$", "");
        String options = join(httpOptions, url.startsWith("https://") ? tlsOptions : null);
        String query = options.isEmpty() ? "" : "?" + options;
        eventUri = base + "/services/collector/event" + query;
        healthUri = base + "/services/collector/health" + query;
        ackUri = base + "/services/collector/ack" + query;
    }

    /** Runs once, when delivery starts (Camel's YAML pre-parse builds beans twice, so not in init). */
    @Override
    public void onStart() {
        if (url.startsWith("http://")) {
            LOG.warn("splunk sink uses plain http: the HEC token and events cross the network unencrypted");
        } else if (tls != null && tls.isInsecure()) {
            LOG.warn("splunk sink TLS verification is OFF (splunk.tls-insecure=true): any certificate and host name"
                    + " is accepted. Use only in a lab.");
        }
        LOG.info("splunk sink ready: {}/services/collector/event (gzip {}, indexer acknowledgement {})",
                url.replaceAll("/+$", ""), gzip ? "on" : "off", ack ? "on" : "off");
    }

    @Override
    public Result send(List<byte[]> batch) {
        byte[] body = concatenate(batch);
        Exchange reply;
        try {
            reply = post(eventUri, body, gzip);
        } catch (RuntimeException e) {
            return Result.retry(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (reply.getException() != null) {
            Exception e = reply.getException();
            return Result.retry(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        HecResponse r = HecResponse.parse(reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class),
                reply.getMessage().getBody(String.class));
        countResponse(r);
        if (r.success()) {
            return ack ? awaitAck(r.ackId(), batch.size()) : Result.delivered(batch.size());
        }
        if (r.retryable()) {
            return Result.retry(r.describe());
        }
        if (r.code() == HecResponse.CODE_INVALID_DATA_FORMAT && r.invalidEventNumber() >= 0
                && r.invalidEventNumber() < batch.size()) {
            return Result.rejected(r.invalidEventNumber(), 1, r.describe() + " at event " + r.invalidEventNumber());
        }
        return Result.rejected(0, batch.size(), r.describe());
    }

    /** tcptrace_hec_responses_total{status,code}, when the application runs with metrics on. */
    private void countResponse(HecResponse r) {
        if (meters == null) {
            meters = getCamelContext().getRegistry().findSingleByType(MeterRegistry.class);
            if (meters == null) {
                return;
            }
        }
        meters.counter("tcptrace.hec.responses", "status", Integer.toString(r.status()), "code",
                Integer.toString(r.code())).increment();
    }

    @Override
    public boolean healthy() {
        try {
            Exchange reply = template().request(healthUri, e -> {
                e.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");
                e.getMessage().setBody(null);
            });
            return reply.getException() == null
                    && reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class) == 200;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "splunk";
    }

    /** Polls /services/collector/ack until the batch's ackId is true; a timeout means send again. */
    private Result awaitAck(long ackId, int size) {
        if (ackId < 0) {
            return Result.retry("HEC accepted the batch but returned no ackId: is acknowledgement on for this token?");
        }
        long deadline = System.nanoTime() + ackTimeoutMillis * 1_000_000L;
        byte[] query = ("{\"acks\":[" + ackId + "]}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        while (System.nanoTime() < deadline) {
            try {
                Exchange reply = post(ackUri, query, false);
                String body = reply.getException() == null ? reply.getMessage().getBody(String.class) : null;
                if (body != null && body.replace(" ", "").contains("\"" + ackId + "\":true")) {
                    return Result.delivered(size);
                }
                Thread.sleep(ackPollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LOG.debug("ack poll failed: {}", e.toString());
            }
        }
        return Result.retry("ackId " + ackId + " not acknowledged within " + ackTimeoutMillis + " ms: sending again");
    }

    private Exchange post(String uri, byte[] body, boolean compressed) {
        Exchange exchange = new DefaultExchange(getCamelContext());
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setHeader("Authorization", "Splunk " + token);
        if (compressed) {
            // camel-http compresses the request body itself when this header is set.
            exchange.getMessage().setHeader(Exchange.CONTENT_ENCODING, "gzip");
        }
        if (ack) {
            exchange.getMessage().setHeader("X-Splunk-Request-Channel", channel);
        }
        return template().send(uri, exchange);
    }

    private static String join(String a, String b) {
        boolean hasA = a != null && !a.isBlank();
        boolean hasB = b != null && !b.isBlank();
        return hasA && hasB ? a + "&" + b : hasA ? a : hasB ? b : "";
    }

    private static byte[] concatenate(List<byte[]> batch) {
        int size = 0;
        for (byte[] r : batch) {
            size += r.length + 1;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        for (byte[] r : batch) {
            out.writeBytes(r);
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** HEC base address, e.g. {@code https://splunk.example.com:8088}. */
    public void setUrl(String url) {
        this.url = url;
    }

    /** camel-http endpoint options appended to every HEC URI (TLS, timeouts...). */
    public void setHttpOptions(String httpOptions) {
        this.httpOptions = httpOptions;
    }

    /** camel-http options added only for an https address (TLS context, hostname verifier). */
    public void setTlsOptions(String tlsOptions) {
        this.tlsOptions = tlsOptions;
    }

    /** The TLS settings bean, to say at start when verification is off. */
    public void setTls(HecTls tls) {
        this.tls = tls;
    }

    public void setToken(String token) {
        this.token = token;
    }

    public void setGzip(boolean gzip) {
        this.gzip = gzip;
    }

    public void setAck(boolean ack) {
        this.ack = ack;
    }

    public void setAckTimeoutMillis(long ackTimeoutMillis) {
        this.ackTimeoutMillis = ackTimeoutMillis;
    }

    public void setAckPollMillis(long ackPollMillis) {
        this.ackPollMillis = ackPollMillis;
    }

    @Override
    public String toString() {
        return "HecSender[" + eventUri + "]"; // never the token
    }
}
