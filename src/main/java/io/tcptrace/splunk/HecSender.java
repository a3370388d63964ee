package io.tcptrace.splunk;

import io.micrometer.core.instrument.MeterRegistry;
import io.tcptrace.delivery.BatchSender;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.support.DefaultExchange;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts batches of HEC envelopes to {@code /services/collector/event} as concatenated JSON
 * objects, through camel-http (pooled, persistent connections), gzip-compressed by default, and
 * tells the {@code delivery:} endpoint what HEC's answer means ({@link HecResponse#verdict()}).
 * On {@code invalid-event-number} the events before the bad one count as indexed. With indexer
 * acknowledgement on, a batch counts as delivered only once its ackId is acknowledged. A request
 * that gets no answer within the response timeout may have been indexed: the timeout doubles
 * (up to ten times the configured one) so a slow HEC is not sent the same batch forever.
 *
 * <p>The token goes only into the Authorization header of requests; it is never logged and never
 * part of a URI, exception text or metric.
 */
public class HecSender implements BatchSender {
    private static final Logger LOG = LoggerFactory.getLogger(HecSender.class);

    private String url;
    private String httpOptions = "throwExceptionOnFailure=false";
    private long connectTimeoutMillis;   // 0: camel-http's default
    private String caFile;
    private boolean tlsInsecure;
    private String token;
    private boolean gzip = true;
    private boolean ack;
    private long ackTimeoutMillis = 60_000;
    private long ackPollMillis = 250;
    private long responseTimeoutMillis = 30_000;
    private final String channel = UUID.randomUUID().toString();

    private String base;
    private HecTls tls;
    private String clientOptions = "";
    private long currentTimeoutMillis;
    private CamelContext camelContext;
    private ProducerTemplate template;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private MeterRegistry meters;

    /** Checks the settings (the bean's init method): a wrong one stops start-up with one line. */
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
        base = url.replaceAll("/+$", "");
        tls = new HecTls();
        tls.setCaFile(caFile);
        tls.setInsecure(tlsInsecure);
        tls.init();
    }

    @Override
    public void start(CamelContext context) {
        if (base == null) {
            init();
        }
        camelContext = context;
        endpoints.clear();
        template = context.createProducerTemplate();
        currentTimeoutMillis = responseTimeoutMillis;
        // camel-http takes these by reference. The delivery endpoint does the retrying (spool, backoff,
        // health): the HTTP client's own retries of 503/429 would only hide HEC's answers and slow the
        // health checks down, so they are off.
        String ref = "hecClient-" + Integer.toHexString(System.identityHashCode(this));
        HttpClientConfigurer noRetries = HttpClientBuilder::disableAutomaticRetries;
        context.getRegistry().bind(ref, noRetries);
        clientOptions = "httpClientConfigurer=#" + ref;
        if (url.startsWith("https://")) {
            // Only for https: camel-http would turn http:// into https:// if given TLS settings.
            context.getRegistry().bind(ref + "-tls", tls);
            clientOptions += "&sslContextParameters=#" + ref + "-tls&x509HostnameVerifier=#" + ref + "-tls";
        }
        if (url.startsWith("http://")) {
            LOG.warn("splunk sink uses plain http: the HEC token and events cross the network unencrypted");
        } else if (tls.isInsecure()) {
            LOG.warn("splunk sink TLS verification is OFF (splunk.tls-insecure=true): any certificate and host name"
                    + " is accepted. Use only in a lab.");
        }
        LOG.info("splunk sink ready: {}/services/collector/event (gzip {}, indexer acknowledgement {})", base,
                gzip ? "on" : "off", ack ? "on" : "off");
    }

    @Override
    public void stop() {
        if (template != null) {
            try {
                template.stop();
            } catch (RuntimeException e) {
                LOG.debug("closing the HEC producer template: {}", e.toString());
            }
        }
    }

    @Override
    public Result send(List<byte[]> batch) {
        Exchange reply;
        try {
            reply = post("/services/collector/event", HecBody.of(batch, gzip));
        } catch (RuntimeException e) {
            return failure(e);
        }
        if (reply.getException() != null) {
            return failure(reply.getException());
        }
        HecResponse r = HecResponse.parse(reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class),
                reply.getMessage().getBody(String.class));
        countResponse(r);
        return switch (r.verdict()) {
            case SUCCESS -> ack ? awaitAck(r.ackId(), batch.size()) : Result.delivered(batch.size());
            case RETRY -> Result.retry(r.describe());
            case TOO_LARGE -> Result.tooLarge(r.describe() + "; HEC's max_content_length or a proxy's body limit");
            case MISCONFIGURED -> Result.misconfigured(r.describe() + ": " + r.fix());
            case REFUSED -> r.code() == HecResponse.CODE_INVALID_DATA_FORMAT && r.invalidEventNumber() >= 0
                    && r.invalidEventNumber() < batch.size()
                    ? Result.rejected(r.invalidEventNumber(), 1, r.describe() + " at event " + r.invalidEventNumber())
                    : Result.rejected(0, batch.size(), r.describe());
        };
    }

    /** No answer in time may mean indexed anyway: say so, and wait longer next time. */
    private Result failure(Throwable e) {
        String what = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (causedBy(e, SocketTimeoutException.class)) {
            long waited = currentTimeoutMillis;
            currentTimeoutMillis = Math.min(responseTimeoutMillis * 10, currentTimeoutMillis * 2);
            return Result.timedOut("HEC did not answer within " + waited + " ms, waiting up to " + currentTimeoutMillis
                    + " ms from now on (splunk.response-timeout-ms; splunk.ack=true confirms what was indexed)");
        }
        return Result.retry(what);
    }

    /** tcptrace_hec_responses_total{status,code}, when the application runs with metrics on. */
    private void countResponse(HecResponse r) {
        if (meters == null) {
            meters = camelContext.getRegistry().findSingleByType(MeterRegistry.class);
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
            Exchange reply = template.request(endpoint("/services/collector/health"), e -> {
                e.getMessage().setHeader(Exchange.HTTP_METHOD, HttpMethods.GET);
                e.getMessage().setBody(null);
            });
            return reply.getException() == null
                    && reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class) == 200;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Polls /services/collector/ack until the batch's ackId is true; a timeout means send again. */
    private Result awaitAck(long ackId, int size) {
        if (ackId < 0) {
            return Result.retry("HEC accepted the batch but returned no ackId: is acknowledgement on for this token?");
        }
        long deadline = System.nanoTime() + ackTimeoutMillis * 1_000_000L;
        byte[] query = ("{\"acks\":[" + ackId + "]}").getBytes(StandardCharsets.US_ASCII);
        while (System.nanoTime() < deadline) {
            try {
                Exchange reply = post("/services/collector/ack", HecBody.of(List.of(query), false));
                if (reply.getException() == null
                        && HecResponse.acknowledged(reply.getMessage().getBody(String.class), ackId)) {
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

    /** The body carries its own content type and encoding, so camel-http sends it as it is. */
    private Exchange post(String path, HttpEntity body) {
        Exchange exchange = new DefaultExchange(camelContext);
        exchange.getMessage().setBody(body);
        // The enum itself: camel-http converts a "POST" string through the type converter on every request.
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
        exchange.getMessage().setHeader("Authorization", "Splunk " + token);
        if (ack) {
            exchange.getMessage().setHeader("X-Splunk-Request-Channel", channel);
        }
        return template.send(endpoint(path), exchange);
    }

    /**
     * The camel-http endpoint of a HEC path, resolved once per URI: resolving the string for every
     * batch normalised it again each time. Few URIs ever exist (one per timeout value).
     */
    private Endpoint endpoint(String path) {
        return endpoints.computeIfAbsent(uri(path), camelContext::getEndpoint);
    }

    /** The camel-http URI of a HEC path with the current response timeout (one endpoint per timeout value). */
    private String uri(String path) {
        StringBuilder q = new StringBuilder(httpOptions == null ? "" : httpOptions);
        q.append(q.length() > 0 ? "&" : "").append(clientOptions);
        q.append(q.length() > 0 ? "&" : "").append("responseTimeout=").append(currentTimeoutMillis);
        if (connectTimeoutMillis > 0) {
            q.append("&connectTimeout=").append(connectTimeoutMillis);
        }
        return base + path + "?" + q;
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** HEC base address, e.g. {@code https://splunk.example.com:8088}. */
    public void setUrl(String url) {
        this.url = url;
    }

    /** camel-http endpoint options for every HEC request (connect timeout...). */
    public void setHttpOptions(String httpOptions) {
        this.httpOptions = httpOptions;
    }

    /** PEM CA bundle to trust instead of the JVM's CAs. */
    public void setCaFile(String caFile) {
        this.caFile = caFile;
    }

    /** Accept any certificate and host name (labs only; a WARN at start). */
    public void setTlsInsecure(boolean tlsInsecure) {
        this.tlsInsecure = tlsInsecure;
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
        this.ackTimeoutMillis = positive("splunk.ack-timeout-ms (SPLUNK_ACK_TIMEOUT_MS)", ackTimeoutMillis);
    }

    public void setAckPollMillis(long ackPollMillis) {
        this.ackPollMillis = positive("ackPollMillis", ackPollMillis);
    }

    /** How long to wait for a connection to HEC. */
    public void setConnectTimeoutMillis(long millis) {
        this.connectTimeoutMillis = positive("splunk.connect-timeout-ms (SPLUNK_CONNECT_TIMEOUT_MS)", millis);
    }

    /** How long to wait for HEC's answer to a batch; doubled after each timeout, up to ten times this. */
    public void setResponseTimeoutMillis(long responseTimeoutMillis) {
        this.responseTimeoutMillis = positive("splunk.response-timeout-ms (SPLUNK_RESPONSE_TIMEOUT_MS)",
                responseTimeoutMillis);
    }

    /** A wait of 1 ms to a day; anything else is one line naming the setting, the value and the range. */
    private static long positive(String setting, long millis) {
        if (millis < 1 || millis > 86_400_000L) {
            throw new IllegalArgumentException(setting + "=" + millis + " is out of range 1 to 86400000 (milliseconds)");
        }
        return millis;
    }

    @Override
    public String toString() {
        return "HecSender[" + base + "]"; // never the token
    }
}
