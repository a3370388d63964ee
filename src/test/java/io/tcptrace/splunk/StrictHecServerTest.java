package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Drives {@link StrictHecServer} with the JDK's HttpClient, one behaviour per test. */
class StrictHecServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    private static final String AUTH = "Splunk " + TOKEN;
    private static final String EVENT = "/services/collector/event";
    private static final String ACK = "/services/collector/ack";
    private static final String HEALTH = "/services/collector/health";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private StrictHecServer hec;

    @AfterEach
    void stop() throws IOException {
        if (hec != null) {
            hec.close();
        }
    }

    @Test
    void oneEventIsIndexedAsReceivedAndAnsweredSuccess() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        String envelope = "{\"time\":1700000000.123,\"host\":\"web-1\",\"source\":\"tcptrace\","
                + "\"sourcetype\":\"tcptrace:connect\",\"index\":\"main\",\"fields\":{\"probe\":\"kprobe\"},"
                + "\"event\":{\"action\":\"connect\",\"dest_port\":443}}";

        HttpResponse<String> r = post(EVENT, AUTH, envelope.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");

        assertEquals(200, r.statusCode());
        assertEquals(JSON.readTree("{\"text\":\"Success\",\"code\":0}"), JSON.readTree(r.body()));
        assertEquals(List.of(JSON.readTree(envelope)), hec.indexedEvents());
        RecordedRequest seen = hec.requests().get(0);
        assertEquals("POST", seen.method());
        assertEquals(EVENT, seen.path());
        assertFalse(seen.gzip());
        assertEquals(1, seen.eventCount());
        assertEquals(200, seen.status());
        assertEquals(0, seen.hecCode());
        assertEquals(RecordedRequest.Auth.OK, seen.auth());
        assertEquals("application/json", seen.header("Content-Type"));
        assertTrue(hec.sawHeaderValue("CONTENT-TYPE", "application/json"));
        assertEquals(1, hec.requestCount());
    }

    @Test
    void answersWithoutWaitingForTheClientsDelayedAck() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        byte[] envelope = "{\"event\":{\"dest_port\":443}}".getBytes(StandardCharsets.UTF_8);
        post(EVENT, AUTH, envelope, "Content-Type", "application/json"); // connection and classes ready

        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            assertEquals(200, post(EVENT, AUTH, envelope, "Content-Type", "application/json").statusCode());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;

        // With Nagle on the server's socket each answer waits ~40 ms for the client's delayed ACK: >= 2 s.
        assertTrue(millis < 1500, "50 sequential requests took " + millis + " ms");
        assertEquals(51, hec.indexedEvents().size());
    }

    @Test
    void collectorAliasesAcceptEvents() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();

        assertCode(200, 0, post("/services/collector", AUTH, bytes("{\"event\":\"a\"}")));
        assertCode(200, 0, post("/services/collector/event/1.0", AUTH, bytes("{\"event\":\"b\"}")));
        assertCode(200, 0, post("/services/collector/event/", AUTH, bytes("{\"event\":\"c\"}")));

        assertEquals(List.of("a", "b", "c"), hec.indexedEventValues());
    }

    @Test
    void authorizationFailuresAnswerWithSplunksCodesAndIndexNothing() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN, "second-token").start();
        byte[] body = bytes("{\"event\":\"x\"}");

        assertAnswer(401, 2, "Token is required", post(EVENT, null, body));
        assertAnswer(401, 3, "Invalid authorization", post(EVENT, "Bearer " + TOKEN, body));
        assertAnswer(401, 3, "Invalid authorization", post(EVENT, "Splunk", body));
        assertAnswer(403, 4, "Invalid token", post(EVENT, "Splunk not-a-known-token", body));
        hec.disableToken(TOKEN);
        assertAnswer(403, 1, "Token disabled", post(EVENT, AUTH, body));
        assertCode(200, 0, post(EVENT, "Splunk second-token", body));
        hec.enableToken(TOKEN);
        assertCode(200, 0, post(EVENT, AUTH, body));

        assertEquals(2, hec.indexedEvents().size());
        List<RecordedRequest.Auth> judged = hec.requests().stream().map(RecordedRequest::auth).toList();
        assertEquals(List.of(RecordedRequest.Auth.MISSING, RecordedRequest.Auth.MALFORMED,
                RecordedRequest.Auth.MALFORMED, RecordedRequest.Auth.UNKNOWN, RecordedRequest.Auth.DISABLED,
                RecordedRequest.Auth.OK, RecordedRequest.Auth.OK), judged);
        // The token must never be kept where a failing test could print it.
        assertFalse(hec.requests().toString().contains(TOKEN));
        assertTrue(hec.sawHeaderValue("authorization", "Splunk <redacted>"));
    }

    @Test
    void gzipBatchOfConcatenatedEventsIsIndexedInOrder() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        String batch = "{\"event\":\"one\",\"time\":1.5}\n{\"event\":\"two\"}{\"event\":{\"n\":3}}\r\n  \n";

        HttpResponse<String> r = post(EVENT, AUTH, gzip(batch), "Content-Encoding", "gzip");

        assertCode(200, 0, r);
        assertEquals(List.of("one", "two", "{\"n\":3}"), hec.indexedEventValues());
        RecordedRequest seen = hec.requests().get(0);
        assertTrue(seen.gzip());
        assertEquals(3, seen.eventCount());
        assertEquals(batch.getBytes(StandardCharsets.UTF_8).length, seen.bodyBytes());
        assertTrue(hec.sawHeaderValue("content-encoding", "gzip"));
    }

    @Test
    void unparseableEventKeepsTheEventsBeforeItAndDropsTheRest() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        String batch = "{\"event\":\"a\"}\n{\"event\":\"b\"}\n{\"event\": nope}\n{\"event\":\"d\"}";

        HttpResponse<String> r = post(EVENT, AUTH, gzip(batch), "Content-Encoding", "gzip");

        assertEquals(400, r.statusCode());
        assertEquals(JSON.readTree("{\"text\":\"Invalid data format\",\"code\":6,\"invalid-event-number\":2}"),
                JSON.readTree(r.body()));
        assertEquals(List.of("a", "b"), hec.indexedEventValues());
        assertEquals(2, hec.requests().get(0).eventCount());
    }

    @Test
    void envelopeRulesAnswerWithTheBadEventsPosition() throws Exception {
        hec = StrictHecServer.builder().tokens(TOKEN).allowedIndexes("main", "tcptrace").build().start();

        assertInvalid(12, "Event field is required", 1, "{\"event\":\"kept\"}{\"host\":\"h\"}");
        assertInvalid(13, "Event field cannot be blank", 0, "{\"event\":\"\"}");
        assertInvalid(13, "Event field cannot be blank", 0, "{\"event\":null}");
        assertInvalid(7, "Incorrect index", 0, "{\"event\":\"x\",\"index\":\"secret\"}");
        assertInvalid(6, "Invalid data format", 0, "{\"event\":\"x\",\"time\":\"yesterday\"}");
        assertInvalid(6, "Invalid data format", 0, "{\"event\":\"x\",\"host\":42}");
        assertInvalid(15, "Error in handling indexed fields", 0, "{\"event\":\"x\",\"fields\":{\"k\":{\"n\":1}}}");
        assertInvalid(6, "Invalid data format", 0, "[{\"event\":\"x\"}]");
        assertInvalid(6, "Invalid data format", 1, "{\"event\":\"kept too\"} trailing");
        assertAnswer(400, 5, "No data", post(EVENT, AUTH, new byte[0]));
        assertAnswer(400, 5, "No data", post(EVENT, AUTH, bytes(" \n\t")));
        assertFalse(JSON.readTree(post(EVENT, AUTH, new byte[0]).body()).has("invalid-event-number"));
        assertCode(200, 0, post(EVENT, AUTH, bytes("{\"event\":\"x\",\"index\":\"tcptrace\",\"time\":\"12.5\"}")));

        assertEquals(List.of("kept", "kept too", "x"), hec.indexedEventValues());
    }

    @Test
    void injectedRejectionsByGlobalPositionAndByMarker() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        assertCode(200, 0, post(EVENT, AUTH, bytes("{\"event\":\"e0\"}{\"event\":\"e1\"}")));
        hec.rejectEventNumber(3);

        assertInvalid(6, "Invalid data format", 1, "{\"event\":\"e2\"}{\"event\":\"e3\"}{\"event\":\"e4\"}");
        // The client resends what was not indexed; positions move on, so the one-off fault is gone.
        assertCode(200, 0, post(EVENT, AUTH, bytes("{\"event\":\"e3\"}{\"event\":\"e4\"}")));
        assertEquals(List.of("e0", "e1", "e2", "e3", "e4"), hec.indexedEventValues());

        hec.rejectEventsContaining("POISON");
        String poisoned = "{\"event\":\"fine\"}{\"event\":{\"msg\":\"a POISON pill\"}}";
        assertInvalid(6, "Invalid data format", 1, poisoned);
        assertInvalid(6, "Invalid data format", 1, poisoned);
        assertEquals(7, hec.indexedEvents().size());
    }

    @Test
    void healthIsHealthyUntilTheTestSaysOtherwise() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();

        assertAnswer(200, 17, "HEC is healthy", get(HEALTH));
        assertAnswer(200, 17, "HEC is healthy", get(HEALTH + "/1.0"));
        hec.setUnhealthy(true);
        assertAnswer(503, 18, "HEC is unhealthy, queues are full", get(HEALTH));
        hec.setUnhealthy(false);
        assertAnswer(200, 17, "HEC is healthy", get(HEALTH));
        assertEquals(RecordedRequest.Auth.NOT_CHECKED, hec.requests().get(0).auth());
        assertEquals(404, get("/services/collector/nope").statusCode());
        assertEquals(405, get(EVENT).statusCode());
    }

    @Test
    void busyAndCannedAnswersIndexNothingThenTheServerRecovers() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        hec.busyFor(2);
        hec.respondStatusFor(500, 8, "Internal server error", 1);
        byte[] body = bytes("{\"event\":\"x\"}");

        assertAnswer(503, 9, "Server is busy", post(EVENT, AUTH, body));
        assertAnswer(503, 9, "Server is busy", post(EVENT, AUTH, body));
        assertAnswer(500, 8, "Internal server error", post(EVENT, AUTH, body));
        assertCode(200, 0, post(EVENT, AUTH, body));

        assertEquals(1, hec.indexedEvents().size());
        assertEquals(4, hec.requestCount());
        assertEquals(List.of(503, 503, 500, 200), hec.requests().stream().map(RecordedRequest::status).toList());
    }

    @Test
    void responseDelayLetsTheClientTimeOutWhileTheEventIsStillIndexed() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        hec.setResponseDelay(Duration.ofMillis(600));
        HttpRequest slow = HttpRequest.newBuilder(URI.create(hec.url() + EVENT)).timeout(Duration.ofMillis(150))
                .header("Authorization", AUTH).POST(HttpRequest.BodyPublishers.ofString("{\"event\":\"late\"}"))
                .build();

        assertThrows(HttpTimeoutException.class, () -> client.send(slow, HttpResponse.BodyHandlers.ofString()));

        // Like Splunk, the server finishes a request whose client gave up: a resend would be a duplicate.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (hec.indexedEvents().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of("late"), hec.indexedEventValues());
        hec.setResponseDelay(Duration.ZERO);
        assertCode(200, 0, post(EVENT, AUTH, bytes("{\"event\":\"quick\"}")));
    }

    @Test
    void ackFlowWithChannelsReleasedAndLostAcks() throws Exception {
        hec = StrictHecServer.builder().tokens(TOKEN).useAck().manualAcks().build().start();
        String channel = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        byte[] body = bytes("{\"event\":\"x\"}");

        assertAnswer(400, 10, "Data channel is missing", post(EVENT, AUTH, body));
        assertAnswer(400, 11, "Invalid data channel", post(EVENT, AUTH, body, "X-Splunk-Request-Channel", "nope"));
        assertEquals(0, hec.indexedEvents().size());

        assertEquals(JSON.readTree("{\"text\":\"Success\",\"code\":0,\"ackId\":0}"),
                JSON.readTree(post(EVENT, AUTH, body, "X-Splunk-Request-Channel", channel).body()));
        assertAckId(1, post(EVENT + "?channel=" + channel, AUTH, body));
        assertAckId(0, post(EVENT, AUTH, body, "X-Splunk-Request-Channel", other));
        // A failed request gets no ackId and uses none up.
        HttpResponse<String> bad = post(EVENT, AUTH, bytes("{oops"), "X-Splunk-Request-Channel", channel);
        assertCode(400, 6, bad);
        assertFalse(JSON.readTree(bad.body()).has("ackId"));

        assertEquals(JSON.readTree("{\"acks\":{\"0\":false,\"1\":false,\"7\":false}}"),
                JSON.readTree(ack(channel, "{\"acks\":[0,1,7]}").body()));
        hec.releaseAcks();
        assertEquals(JSON.readTree("{\"acks\":{\"0\":true,\"1\":true}}"),
                JSON.readTree(ack(channel, "{\"acks\":[0,1]}").body()));
        // Splunk reports an ackId true once and then forgets it.
        assertEquals(JSON.readTree("{\"acks\":{\"0\":false}}"), JSON.readTree(ack(channel, "{\"acks\":[0]}").body()));

        hec.loseNextAcks(1);
        assertAckId(2, post(EVENT, AUTH, body, "X-Splunk-Request-Channel", channel));
        assertAckId(3, post(EVENT, AUTH, body, "X-Splunk-Request-Channel", channel));
        hec.releaseAcks();
        assertEquals(JSON.readTree("{\"acks\":{\"2\":false,\"3\":true}}"),
                JSON.readTree(ack(channel, "{\"acks\":[2,3]}").body()));
        assertEquals(JSON.readTree("{\"acks\":{\"2\":false}}"), JSON.readTree(ack(channel, "{\"acks\":[2]}").body()));

        assertEquals(List.of(0L, 1L, 2L, 3L), hec.issuedAckIds(channel));
        assertEquals(List.of(0L, 1L, 7L, 0L, 1L, 0L, 2L, 3L, 2L), hec.queriedAckIds(channel));
        assertEquals(Set.of(0L, 1L, 3L), hec.confirmedAckIds(channel));
        assertEquals(5, hec.indexedEvents().size());

        assertAnswer(400, 10, "Data channel is missing", post(ACK, AUTH, bytes("{\"acks\":[0]}")));
        assertCode(400, 6, ack(channel, "{\"acks\":\"all\"}"));
        assertAnswer(401, 2, "Token is required", post(ACK, null, bytes("{\"acks\":[0]}")));
    }

    @Test
    void acksTurnTrueAfterTheConfiguredDelay() throws Exception {
        hec = StrictHecServer.builder().tokens(TOKEN).useAck().ackDelay(Duration.ofMillis(300)).build().start();
        String channel = UUID.randomUUID().toString();
        long sent = System.nanoTime();
        assertAckId(0, post(EVENT, AUTH, bytes("{\"event\":\"x\"}"), "X-Splunk-Request-Channel", channel));

        assertFalse(JSON.readTree(ack(channel, "{\"acks\":[0]}").body()).at("/acks/0").asBoolean());
        boolean done = false;
        while (!done && System.nanoTime() - sent < Duration.ofSeconds(5).toNanos()) {
            Thread.sleep(25);
            done = JSON.readTree(ack(channel, "{\"acks\":[0]}").body()).at("/acks/0").asBoolean();
        }
        assertTrue(done, "ack 0 never turned true");
        assertTrue(System.nanoTime() - sent >= Duration.ofMillis(300).toNanos());
        assertEquals(Set.of(0L), hec.confirmedAckIds(channel));
    }

    @Test
    void ackEndpointSaysAckIsDisabledWithoutUseAck() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();

        assertAnswer(400, 14, "ACK is disabled", ack(UUID.randomUUID().toString(), "{\"acks\":[0]}"));
        assertEquals(JSON.readTree("{\"text\":\"Success\",\"code\":0}"),
                JSON.readTree(post(EVENT, AUTH, bytes("{\"event\":\"x\"}")).body()));
    }

    @Test
    void downRefusesConnectionsAndUpListensOnTheSamePort() throws Exception {
        hec = StrictHecServer.withTokens(TOKEN).start();
        String url = hec.url();
        int port = hec.port();
        assertCode(200, 0, post(EVENT, AUTH, bytes("{\"event\":\"before\"}")));

        hec.setDown(true);
        assertTrue(hec.isDown());
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
        HttpClient fresh = HttpClient.newHttpClient();
        assertThrows(ConnectException.class, () -> fresh.send(eventRequest(url, "{\"event\":\"lost\"}"),
                HttpResponse.BodyHandlers.ofString()));

        hec.setDown(false);
        assertEquals(url, hec.url());
        assertEquals(port, hec.port());
        HttpResponse<String> r = HttpClient.newHttpClient().send(eventRequest(url, "{\"event\":\"after\"}"),
                HttpResponse.BodyHandlers.ofString());
        assertCode(200, 0, r);
        assertEquals(List.of("before", "after"), hec.indexedEventValues());
    }

    @Test
    void tlsWithACertificateGeneratedByKeytool() throws Exception {
        hec = StrictHecServer.builder().tokens(TOKEN).tls().build().start();
        assertTrue(hec.url().startsWith("https://127.0.0.1:"), hec.url());
        assertTrue(Files.isRegularFile(hec.trustStorePath()));
        assertTrue(Files.isRegularFile(hec.keyStorePath()));

        HttpClient trusting = HttpClient.newBuilder().sslContext(hec.clientSslContext()).build();
        assertCode(200, 0, trusting.send(eventRequest(hec.url(), "{\"event\":\"tls\"}"),
                HttpResponse.BodyHandlers.ofString()));

        // What a client configured with a trust store path and password would build; the SAN covers localhost.
        HttpClient fromStore = HttpClient.newBuilder().sslContext(contextFrom(hec)).build();
        String byName = "https://localhost:" + hec.port();
        assertCode(200, 0, fromStore.send(eventRequest(byName, "{\"event\":\"by name\"}"),
                HttpResponse.BodyHandlers.ofString()));

        HttpClient untrusting = HttpClient.newHttpClient();
        assertThrows(SSLHandshakeException.class, () -> untrusting.send(eventRequest(hec.url(), "{\"event\":\"no\"}"),
                HttpResponse.BodyHandlers.ofString()));

        hec.setDown(true);
        hec.setUp();
        assertCode(200, 0, HttpClient.newBuilder().sslContext(hec.clientSslContext()).build()
                .send(eventRequest(hec.url(), "{\"event\":\"again\"}"), HttpResponse.BodyHandlers.ofString()));
        assertEquals(List.of("tls", "by name", "again"), hec.indexedEventValues());
    }

    // ---------------------------------------------------------------- helpers

    private static SSLContext contextFrom(StrictHecServer server) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(server.trustStorePath())) {
            trust.load(in, server.storePassword().toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpRequest eventRequest(String baseUrl, String body) {
        return HttpRequest.newBuilder(URI.create(baseUrl + EVENT)).timeout(Duration.ofSeconds(10))
                .header("Authorization", AUTH).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpResponse<String> post(String path, String authorization, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hec.url() + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(hec.url() + path)).timeout(Duration.ofSeconds(10))
                .GET().build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> ack(String channel, String body) throws IOException, InterruptedException {
        return post(ACK, AUTH, bytes(body), "X-Splunk-Request-Channel", channel);
    }

    private void assertInvalid(int code, String text, int position, String body) throws Exception {
        HttpResponse<String> r = post(EVENT, AUTH, bytes(body));
        assertAnswer(400, code, text, r);
        assertEquals(position, JSON.readTree(r.body()).path("invalid-event-number").asInt(-1), body);
    }

    private static void assertAnswer(int status, int code, String text, HttpResponse<String> r) throws IOException {
        assertCode(status, code, r);
        assertEquals(text, JSON.readTree(r.body()).path("text").asText(), r.body());
    }

    private static void assertCode(int status, int code, HttpResponse<String> r) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(code, body.path("code").asInt(-1), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    }

    private static void assertAckId(long expected, HttpResponse<String> r) throws IOException {
        assertCode(200, 0, r);
        assertEquals(expected, JSON.readTree(r.body()).path("ackId").asLong(-1), r.body());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes(s));
        }
        return out.toByteArray();
    }
}
