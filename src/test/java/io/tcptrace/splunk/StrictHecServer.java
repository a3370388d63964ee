package io.tcptrace.splunk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.tcptrace.splunk.RecordedRequest.Auth;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;

/**
 * An in-process Splunk HTTP Event Collector for tests: it answers like a real HEC (same paths, status codes, HEC
 * codes and texts, partial indexing of a batch with a bad event, indexer acknowledgement) and is strict about the
 * protocol, so a client that passes against it should pass against Splunk. Faults can be switched on at any time
 * from the test thread; everything the server saw is kept for assertions. The token is never logged or recorded.
 */
public final class StrictHecServer implements AutoCloseable {
    static {
        // The JDK's HttpServer writes an answer's head and body in two writes without TCP_NODELAY, so
        // Nagle holds the body until the client acknowledges the head, and the client delays that
        // acknowledgement: 40 ms per request on Linux, a limit of ~25 requests/s per connection that
        // Splunk does not have. Read when the first HttpServer of the JVM is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST = "127.0.0.1";
    private static final Set<String> EVENT_PATHS =
            Set.of("/services/collector", "/services/collector/event", "/services/collector/event/1.0");
    private static final Set<String> HEALTH_PATHS =
            Set.of("/services/collector/health", "/services/collector/health/1.0");
    private static final String ACK_PATH = "/services/collector/ack";
    private static final String CHANNEL_HEADER = "X-Splunk-Request-Channel";

    /** A canned answer queued by a test for the next event requests. */
    private static final class Forced {
        final int status;
        final int code;
        final String text;
        /** Not HEC's JSON: a body and its content type sent as they are (a proxy's page); else null. */
        final String raw;
        final String rawType;
        int remaining;

        Forced(int status, int code, String text, int remaining) {
            this(status, code, text, null, null, remaining);
        }

        Forced(int status, int code, String text, String raw, String rawType, int remaining) {
            this.status = status;
            this.code = code;
            this.text = text;
            this.raw = raw;
            this.rawType = rawType;
            this.remaining = remaining;
        }
    }

    /** What one request gets back, plus what to record about it. */
    private static final class Answer {
        int status;
        ObjectNode body;
        String raw;       // sent instead of body when set, with rawType
        String rawType;
        Auth auth = Auth.NOT_CHECKED;
        boolean gzip;
        int bodyBytes;
        int events;

        Answer status(HecStatus s) {
            status = s.httpStatus;
            body = s.body();
            return this;
        }
    }

    private final Set<String> tokens;
    private final Set<String> disabledTokens = ConcurrentHashMap.newKeySet();
    private final Set<String> allowedIndexes;
    private final HecAcks acks;
    private final long maxContentLength;
    private final SelfSignedCert cert;
    private final SSLContext sslContext;
    private final ExecutorService executor;
    private final AtomicInteger requestCount = new AtomicInteger();
    private volatile boolean unhealthy;
    private volatile Duration responseDelay = Duration.ZERO;

    // Guarded by "this": the listener and its port.
    private HttpServer server;
    private int port;

    // Guarded by "data": what was indexed and seen, and the fault switches that act on event bodies.
    private final Object data = new Object();
    private final List<JsonNode> indexed = new ArrayList<>();
    private volatile java.util.function.Consumer<JsonNode> indexListener;
    private final List<RecordedRequest> recorded = new ArrayList<>();
    private final Deque<Forced> forced = new ArrayDeque<>();
    private final Set<Long> rejectedPositions = new HashSet<>();
    private final List<String> rejectMarkers = new ArrayList<>();
    private long envelopesExamined;

    private StrictHecServer(Builder b) throws IOException {
        if (b.tokens.isEmpty()) {
            throw new IllegalArgumentException("at least one valid token is needed");
        }
        this.tokens = Set.copyOf(b.tokens);
        this.allowedIndexes = Set.copyOf(b.allowedIndexes);
        this.acks = b.useAck ? new HecAcks(b.ackDelay, b.manualAcks) : null;
        this.maxContentLength = b.maxContentLength;
        if (b.tls) {
            this.cert = SelfSignedCert.generate();
            try {
                this.sslContext = cert.serverContext();
            } catch (GeneralSecurityException e) {
                cert.close();
                throw new IOException("cannot load the generated key store", e);
            }
        } else {
            this.cert = null;
            this.sslContext = null;
        }
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "strict-hec-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A plain-HTTP server without acknowledgement that accepts the given token(s). */
    public static StrictHecServer withTokens(String... tokens) throws IOException {
        return builder().tokens(tokens).build();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds 127.0.0.1 on an ephemeral port. */
    public synchronized StrictHecServer start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        bind(0);
        port = server.getAddress().getPort();
        return this;
    }

    /** {@code http://127.0.0.1:PORT} or {@code https://…}, without a trailing slash. */
    public synchronized String url() {
        if (port == 0) {
            throw new IllegalStateException("not started");
        }
        return (cert != null ? "https" : "http") + "://" + HOST + ":" + port;
    }

    public synchronized int port() {
        return port;
    }

    /**
     * Down closes the listener, so new connections are refused and open ones dropped, as when Splunk stops; up
     * listens again on the same port, so the client's configured URL works again.
     */
    public synchronized void setDown(boolean down) throws IOException {
        if (port == 0) {
            throw new IllegalStateException("not started");
        }
        if (down && server != null) {
            server.stop(0);
            server = null;
        } else if (!down && server == null) {
            bind(port);
        }
    }

    /** Same as {@code setDown(false)}. */
    public void setUp() throws IOException {
        setDown(false);
    }

    public synchronized boolean isDown() {
        return server == null;
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }
        executor.shutdownNow();
        if (cert != null) {
            cert.close();
        }
    }

    private void bind(int wanted) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(HOST), wanted);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                HttpServer s;
                if (sslContext != null) {
                    HttpsServer https = HttpsServer.create(address, 0);
                    https.setHttpsConfigurator(new HttpsConfigurator(sslContext));
                    s = https;
                } else {
                    s = HttpServer.create(address, 0);
                }
                s.createContext("/", this::handle);
                s.setExecutor(executor);
                s.start();
                server = s;
                return;
            } catch (BindException e) {
                // Re-binding the same port right after a stop can race with the old socket's release.
                if (wanted == 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(Duration.ofMillis(50));
            }
        }
    }

    // ---------------------------------------------------------------- TLS material for clients

    /** The generated certificate's stores, or null without TLS. */
    public SelfSignedCert certificate() {
        return cert;
    }

    /** An SSLContext trusting exactly this server's certificate. */
    public SSLContext clientSslContext() {
        requireTls();
        try {
            return cert.clientContext();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the generated trust store", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public java.nio.file.Path trustStorePath() {
        requireTls();
        return cert.trustStorePath();
    }

    public java.nio.file.Path keyStorePath() {
        requireTls();
        return cert.keyStorePath();
    }

    /** Password of the key and trust stores (PKCS12). */
    public String storePassword() {
        requireTls();
        return cert.password();
    }

    private void requireTls() {
        if (cert == null) {
            throw new IllegalStateException("this server was built without TLS");
        }
    }

    // ---------------------------------------------------------------- fault injection

    /** The next {@code requests} event requests get 503 {@code {"text":"Server is busy","code":9}}. */
    public void busyFor(int requests) {
        respondStatusFor(HecStatus.SERVER_BUSY.httpStatus, HecStatus.SERVER_BUSY.code, HecStatus.SERVER_BUSY.text,
                requests);
    }

    /**
     * The next {@code requests} event requests get this answer and index nothing. Queued after any earlier
     * canned answers.
     */
    public void respondStatusFor(int status, int code, String text, int requests) {
        if (requests <= 0) {
            return;
        }
        synchronized (data) {
            forced.addLast(new Forced(status, code, text, requests));
        }
    }

    /**
     * The next {@code requests} event requests get this body, not HEC's JSON, with this status and
     * content type, and index nothing: what a captive portal or a mis-routed load balancer answers.
     */
    public void respondRawFor(int status, String contentType, String body, int requests) {
        synchronized (data) {
            forced.addLast(new Forced(status, -1, null, body, contentType, requests));
        }
    }

    /**
     * Hands every indexed envelope to the listener as it is indexed, instead of keeping it (for
     * benchmarks: hundreds of thousands of events). Null keeps them again.
     */
    public void setIndexListener(java.util.function.Consumer<JsonNode> listener) {
        this.indexListener = listener;
    }

    public void setUnhealthy(boolean unhealthy) {
        this.unhealthy = unhealthy;
    }

    /** Every request waits this long before it is processed and answered (ZERO turns it off). */
    public void setResponseDelay(Duration delay) {
        this.responseDelay = delay == null ? Duration.ZERO : delay;
    }

    /** The token stays known but is refused with 403 code 1 until {@link #enableToken}. */
    public void disableToken(String token) {
        disabledTokens.add(token);
    }

    public void enableToken(String token) {
        disabledTokens.remove(token);
    }

    /**
     * Makes the well-formed envelope at this global position count as unparseable: the server answers code 6
     * with its position in its request. Positions count, from 0, every well-formed envelope the server has
     * examined in any request (accepted or not); envelopes after a bad one in the same request are not
     * examined. A resend gets new positions, so this is a one-off fault.
     */
    public void rejectEventNumber(long globalPosition) {
        synchronized (data) {
            rejectedPositions.add(globalPosition);
        }
    }

    /** Every envelope whose {@code event} (text, or JSON text) contains the marker is unparseable, for good. */
    public void rejectEventsContaining(String marker) {
        synchronized (data) {
            rejectMarkers.add(marker);
        }
    }

    /** Acknowledgement on: every pending ackId turns true now (lost ones stay false). */
    public void releaseAcks() {
        requireAcks().releaseAll();
    }

    /** Acknowledgement on: the next {@code count} ackIds handed out will never turn true. */
    public void loseNextAcks(int count) {
        requireAcks().loseNext(count);
    }

    /** Acknowledgement on: this pending ackId will never turn true; false if there is no such pending ackId. */
    public boolean loseAck(String channel, long ackId) {
        return requireAcks().lose(channel, ackId);
    }

    private HecAcks requireAcks() {
        if (acks == null) {
            throw new IllegalStateException("this server was built without useAck()");
        }
        return acks;
    }

    // ---------------------------------------------------------------- observation

    /** Every indexed envelope as received, in arrival order. */
    public List<JsonNode> indexedEvents() {
        synchronized (data) {
            return List.copyOf(indexed);
        }
    }

    /** The {@code event} of every indexed envelope: strings as they are, other JSON as JSON text. */
    public List<String> indexedEventValues() {
        List<String> values = new ArrayList<>();
        for (JsonNode envelope : indexedEvents()) {
            values.add(eventText(envelope));
        }
        return values;
    }

    /** Requests that reached the server, answered or not, on any path. */
    public int requestCount() {
        return requestCount.get();
    }

    /** Requests in the order they were answered; each is recorded just before its answer is sent. */
    public List<RecordedRequest> requests() {
        synchronized (data) {
            return List.copyOf(recorded);
        }
    }

    /** Whether any request carried this header (name case-insensitive) with exactly this value. */
    public boolean sawHeaderValue(String name, String value) {
        String key = name.toLowerCase(Locale.ROOT);
        for (RecordedRequest r : requests()) {
            List<String> values = r.headers().get(key);
            if (values != null && values.contains(value)) {
                return true;
            }
        }
        return false;
    }

    /** ackIds handed out on the channel, in order. */
    public List<Long> issuedAckIds(String channel) {
        return requireAcks().issued(channel);
    }

    /** Every ackId the client asked about on the channel, repeats included, in order. */
    public List<Long> queriedAckIds(String channel) {
        return requireAcks().queried(channel);
    }

    /** ackIds the server has answered true for on the channel. */
    public Set<Long> confirmedAckIds(String channel) {
        return requireAcks().confirmed(channel);
    }

    /** Forgets indexed events, recorded requests and the request count (not faults or acks). */
    public void clearRecorded() {
        synchronized (data) {
            indexed.clear();
            recorded.clear();
            requestCount.set(0);
        }
    }

    // ---------------------------------------------------------------- request handling

    private void handle(HttpExchange exchange) {
        requestCount.incrementAndGet();
        Answer answer = new Answer();
        try {
            byte[] raw = exchange.getRequestBody().readAllBytes();
            answer.bodyBytes = raw.length;
            sleep(responseDelay);
            try {
                route(exchange, raw, answer);
            } catch (RuntimeException e) {
                // A bug here must not look like a hung Splunk to the client under test.
                answer.status(HecStatus.INTERNAL_ERROR);
            }
        } catch (IOException e) {
            // The body never fully arrived (client gone, or listener taken down): recorded with status 0.
            answer.status = 0;
            answer.body = null;
            record(exchange, answer);
            exchange.close();
            return;
        }
        // Recorded before the answer leaves, so a client that has its answer always finds its request here.
        record(exchange, answer);
        try {
            byte[] bytes = answer.raw != null ? answer.raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    : HecStatus.bytes(answer.body);
            exchange.getResponseHeaders().set("Content-Type", answer.raw != null ? answer.rawType
                    : "application/json; charset=UTF-8");
            exchange.sendResponseHeaders(answer.status, bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (IOException e) {
            // The client gave up waiting (timeout) or the listener went down; nothing to tell anyone.
        } finally {
            exchange.close();
        }
    }

    private void route(HttpExchange exchange, byte[] raw, Answer answer) {
        String path = exchange.getRequestURI().getPath();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String method = exchange.getRequestMethod();
        if (HEALTH_PATHS.contains(path)) {
            if (requireMethod("GET", method, exchange, answer)) {
                answer.status(unhealthy ? HecStatus.UNHEALTHY : HecStatus.HEALTHY);
            }
        } else if (EVENT_PATHS.contains(path)) {
            if (requireMethod("POST", method, exchange, answer)) {
                events(exchange, raw, answer);
            }
        } else if (ACK_PATH.equals(path)) {
            if (requireMethod("POST", method, exchange, answer)) {
                ackQuery(exchange, raw, answer);
            }
        } else {
            answer.status = 404;
            answer.body = HecStatus.body("The requested URL was not found on this server.", 404);
        }
    }

    /** Not in Splunk's table; clients should never hit it, so tests need not rely on its text. */
    private static boolean requireMethod(String wanted, String method, HttpExchange exchange, Answer answer) {
        if (wanted.equals(method)) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", wanted);
        answer.status = 405;
        answer.body = HecStatus.body("Method not allowed", 405);
        return false;
    }

    private void events(HttpExchange exchange, byte[] raw, Answer answer) {
        Forced canned = takeForced();
        if (canned != null) {
            answer.status = canned.status;
            if (canned.raw != null) {
                answer.body = null;
                answer.raw = canned.raw;
                answer.rawType = canned.rawType;
            } else {
                answer.body = HecStatus.body(canned.text, canned.code);
            }
            return;
        }
        if (!authorized(exchange, answer)) {
            return;
        }
        String channel = null;
        if (acks != null) {
            channel = channel(exchange, answer);
            if (channel == null) {
                return;
            }
        }
        byte[] body = decode(exchange, raw, answer);
        if (body == null) {
            return;
        }
        if (body.length > maxContentLength) {
            // HEC's max_content_length (or a proxy's body limit): nothing of the request is indexed.
            answer.status = 413;
            answer.body = JSON.createObjectNode().put("text", "Content-Length of " + body.length
                    + " too large (maximum is " + maxContentLength + ")");
            return;
        }
        HecEventParser.Result result;
        synchronized (data) {
            result = HecEventParser.parse(body, this::injectedRejection, allowedIndexes);
            if (indexListener == null) {
                indexed.addAll(result.accepted());
            }
        }
        if (indexListener != null) {
            result.accepted().forEach(indexListener);
        }
        answer.events = result.accepted().size();
        if (result.error() != null) {
            answer.status(result.error());
            if (result.invalidEventNumber() >= 0) {
                answer.body.put("invalid-event-number", result.invalidEventNumber());
            }
            return;
        }
        answer.status(HecStatus.SUCCESS);
        if (channel != null) {
            answer.body.put("ackId", acks.issue(channel));
        }
    }

    private void ackQuery(HttpExchange exchange, byte[] raw, Answer answer) {
        if (!authorized(exchange, answer)) {
            return;
        }
        if (acks == null) {
            answer.status(HecStatus.ACK_DISABLED);
            return;
        }
        String channel = channel(exchange, answer);
        if (channel == null) {
            return;
        }
        byte[] body = decode(exchange, raw, answer);
        if (body == null) {
            return;
        }
        List<Long> ids = ackIds(body);
        if (ids == null) {
            answer.status(HecStatus.INVALID_DATA_FORMAT);
            return;
        }
        ObjectNode statuses = JSON.createObjectNode();
        acks.query(channel, ids).forEach((id, done) -> statuses.put(Long.toString(id), done));
        answer.status = 200;
        answer.body = JSON.createObjectNode();
        answer.body.set("acks", statuses);
    }

    /** {@code {"acks":[0,1,…]}} to its ids, or null when the body has another shape. */
    private static List<Long> ackIds(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode list = root == null ? null : root.get("acks");
            if (list == null || !list.isArray()) {
                return null;
            }
            List<Long> ids = new ArrayList<>();
            for (JsonNode id : list) {
                if (!id.isIntegralNumber() || id.asLong() < 0) {
                    return null;
                }
                ids.add(id.asLong());
            }
            return ids;
        } catch (IOException e) {
            return null;
        }
    }

    /** Checks {@code Authorization: Splunk <token>}; on failure fills the answer and returns false. */
    private boolean authorized(HttpExchange exchange, Answer answer) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || header.isBlank()) {
            answer.auth = Auth.MISSING;
            answer.status(HecStatus.TOKEN_REQUIRED);
            return false;
        }
        String value = header.trim();
        String token = value.startsWith("Splunk ") ? value.substring("Splunk ".length()).trim() : "";
        if (token.isEmpty() || token.contains(" ")) {
            answer.auth = Auth.MALFORMED;
            answer.status(HecStatus.INVALID_AUTHORIZATION);
            return false;
        }
        // A disabled token is a known one, so it is refused as disabled, not as unknown.
        if (disabledTokens.contains(token)) {
            answer.auth = Auth.DISABLED;
            answer.status(HecStatus.TOKEN_DISABLED);
            return false;
        }
        if (!tokens.contains(token)) {
            answer.auth = Auth.UNKNOWN;
            answer.status(HecStatus.INVALID_TOKEN);
            return false;
        }
        answer.auth = Auth.OK;
        return true;
    }

    /** The request's channel from header or {@code ?channel=}; on failure fills the answer and returns null. */
    private static String channel(HttpExchange exchange, Answer answer) {
        String channel = exchange.getRequestHeaders().getFirst(CHANNEL_HEADER);
        if (channel == null) {
            channel = queryParameter(exchange.getRequestURI().getRawQuery(), "channel");
        }
        if (channel == null || channel.isEmpty()) {
            answer.status(HecStatus.CHANNEL_MISSING);
            return null;
        }
        if (!HecAcks.isValidChannel(channel)) {
            answer.status(HecStatus.INVALID_CHANNEL);
            return null;
        }
        return channel;
    }

    private static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Undoes {@code Content-Encoding: gzip}; HEC knows no other encoding, so any other is bad data. */
    private static byte[] decode(HttpExchange exchange, byte[] raw, Answer answer) {
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity")) {
            return raw;
        }
        if (!encoding.trim().equalsIgnoreCase("gzip")) {
            answer.status(HecStatus.INVALID_DATA_FORMAT);
            return null;
        }
        answer.gzip = true;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            byte[] body = in.readAllBytes();
            answer.bodyBytes = body.length;
            return body;
        } catch (IOException e) {
            answer.status(HecStatus.INVALID_DATA_FORMAT);
            return null;
        }
    }

    private Forced takeForced() {
        synchronized (data) {
            Forced head = forced.peekFirst();
            if (head == null) {
                return null;
            }
            if (--head.remaining == 0) {
                forced.removeFirst();
            }
            return head;
        }
    }

    /** Called under "data" for each well-formed envelope, in order; see {@link #rejectEventNumber}. */
    private boolean injectedRejection(JsonNode envelope) {
        long position = envelopesExamined++;
        if (rejectedPositions.remove(position)) {
            return true;
        }
        if (rejectMarkers.isEmpty()) {
            return false;
        }
        String text = eventText(envelope);
        return rejectMarkers.stream().anyMatch(text::contains);
    }

    private static String eventText(JsonNode envelope) {
        JsonNode event = envelope.get("event");
        if (event == null) {
            return "";
        }
        return event.isTextual() ? event.asText() : event.toString();
    }

    private void record(HttpExchange exchange, Answer answer) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Headers in = exchange.getRequestHeaders();
        for (Map.Entry<String, List<String>> e : in.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            List<String> values = name.equals("authorization") ? redacted(e.getValue()) : List.copyOf(e.getValue());
            headers.put(name, values);
        }
        int code = answer.body != null && answer.body.has("code") ? answer.body.get("code").asInt() : -1;
        RecordedRequest r = new RecordedRequest(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                exchange.getRequestURI().getRawQuery(), Collections.unmodifiableMap(headers), answer.gzip,
                answer.bodyBytes, answer.events, answer.status, code, answer.auth);
        synchronized (data) {
            recorded.add(r);
        }
    }

    /** Keeps the scheme, so a test can still see "Splunk …" was sent, but never the token. */
    private static List<String> redacted(List<String> values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            int space = v.indexOf(' ');
            out.add(space < 0 ? "<redacted>" : v.substring(0, space) + " <redacted>");
        }
        return List.copyOf(out);
    }

    private static void sleep(Duration d) {
        if (d.isZero() || d.isNegative()) {
            return;
        }
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- builder

    public static final class Builder {
        private final Set<String> tokens = new LinkedHashSet<>();
        private final Set<String> allowedIndexes = new LinkedHashSet<>();
        private boolean tls;
        private boolean useAck;
        private boolean manualAcks;
        private Duration ackDelay = Duration.ZERO;
        private long maxContentLength = Long.MAX_VALUE;

        private Builder() {
        }

        /** Valid token(s); at least one. */
        public Builder tokens(String... values) {
            tokens.addAll(List.of(values));
            return this;
        }

        /** HTTPS with a certificate for 127.0.0.1/localhost generated now by keytool. */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** Indexer acknowledgement on, as for a token with useACK: channels required, ackIds answered. */
        public Builder useAck() {
            this.useAck = true;
            return this;
        }

        /** With ack: an ackId turns true this long after its POST (default: at once). */
        public Builder ackDelay(Duration delay) {
            this.ackDelay = delay;
            return this;
        }

        /** With ack: ackIds stay false until the test calls {@link StrictHecServer#releaseAcks()}. */
        public Builder manualAcks() {
            this.manualAcks = true;
            return this;
        }

        /** Event requests whose (decoded) body is larger than this are answered 413 and index nothing. */
        public Builder maxContentLength(long bytes) {
            this.maxContentLength = bytes;
            return this;
        }

        /** Indexes envelopes may name (others get code 7); none set means any index is accepted. */
        public Builder allowedIndexes(String... indexes) {
            allowedIndexes.addAll(List.of(indexes));
            return this;
        }

        public StrictHecServer build() throws IOException {
            return new StrictHecServer(this);
        }
    }
}
