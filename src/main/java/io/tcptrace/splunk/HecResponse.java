package io.tcptrace.splunk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A HEC reply: HTTP status plus the JSON body {@code {"text":..,"code":..}}, which may carry
 * {@code invalid-event-number} (events before it were indexed) or {@code ackId}. {@code code} is
 * -1 when the body is not HEC's JSON; {@code text} then holds the start of what came instead.
 */
record HecResponse(int status, int code, String text, int invalidEventNumber, long ackId) {
    private static final int SHOWN = 60;
    static final int CODE_SUCCESS = 0;
    static final int CODE_INVALID_DATA_FORMAT = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the sender does with a reply. */
    enum Verdict { SUCCESS, RETRY, TOO_LARGE, MISCONFIGURED, REFUSED }

    /** HEC's codes that refuse the data itself (no data, bad format, event field missing or blank). */
    private static final java.util.Set<Integer> DATA_CODES = java.util.Set.of(5, 6, 12, 13);

    static HecResponse parse(int status, String body) {
        int code = -1;
        String text = "";
        int invalid = -1;
        long ackId = -1;
        try {
            JsonNode n = body == null || body.isBlank() ? null : JSON.readTree(body);
            if (n != null && n.isObject() && n.path("code").isInt()) {
                code = n.path("code").asInt();
                text = n.path("text").asText("");
                invalid = n.path("invalid-event-number").asInt(-1);
                ackId = n.path("ackId").asLong(-1);
            } else {
                text = shown(body);
            }
        } catch (Exception e) {
            text = shown(body);
        }
        return new HecResponse(status, code, text, invalid, ackId);
    }

    /** Whether an ack query's reply {@code {"acks":{"7":true}}} says this ackId is indexed. */
    static boolean acknowledged(String body, long ackId) {
        try {
            JsonNode n = body == null || body.isBlank() ? null : JSON.readTree(body);
            return n != null && n.path("acks").path(Long.toString(ackId)).asBoolean(false);
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * As Splunk means its answers: 200 is indexed; 413 (HEC's max_content_length or a proxy's body
     * limit) needs smaller requests; 408, 429, every 5xx (503 with code 9 "busy" or 18-20 "unhealthy,
     * queues full") may pass later; 400/401/403 and any other 4xx will not pass by sending again.
     */
    Verdict verdict() {
        if (status == 200 && code == CODE_SUCCESS) {
            return Verdict.SUCCESS;
        }
        if (status >= 200 && status < 300) {
            // Not HEC saying it indexed them: a proxy's or a portal's page, or another service on
            // the port. Sent again later, never counted delivered.
            return Verdict.RETRY;
        }
        if (status == 413) {
            return Verdict.TOO_LARGE;
        }
        if (status == 408 || status == 429 || status >= 500 || status < 200) {
            return Verdict.RETRY;
        }
        if (status == 400 && DATA_CODES.contains(code)) {
            return Verdict.REFUSED;   // these records: dead-lettered, the rest go on
        }
        // The token, the address, the index or the channel: every record would be refused alike
        return Verdict.MISCONFIGURED;
    }

    /** What to check for a refusal of the configuration. */
    String fix() {
        if (status == 401 || code == 1 || code == 2 || code == 3 || code == 4) {
            return "the token is refused: check SPLUNK_HEC_TOKEN and that the token is enabled in Splunk";
        }
        if (code == 7) {
            return "the index is refused: check SPLUNK_INDEX and the token's allowed indexes";
        }
        if (code == 10 || code == 11) {
            return "the data channel is refused: check the token's indexer acknowledgement setting and SPLUNK_ACK";
        }
        if (status == 403) {
            return "the request is forbidden: check SPLUNK_HEC_TOKEN and any proxy in front of HEC";
        }
        return "this is not HEC's event endpoint: check SPLUNK_HEC_URL (https://host:8088)";
    }

    String describe() {
        if (code < 0 && status >= 200 && status < 300) {
            return "HTTP " + status + " without HEC's answer (something other than HEC answered, a proxy or a portal?"
                    + (text.isEmpty() ? " an empty body" : " it began \"" + text + "\"") + "): check SPLUNK_HEC_URL";
        }
        return "HTTP " + status + (code >= 0 ? ", HEC code " + code : "") + (text.isEmpty() ? "" : " \"" + text + "\"");
    }

    /** The start of a body that is not HEC's, on one line, for a log. */
    private static String shown(String body) {
        if (body == null) {
            return "";
        }
        String line = body.replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
        return line.length() <= SHOWN ? line : line.substring(0, SHOWN) + "...";
    }
}
