package io.tcptrace.splunk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A HEC reply: HTTP status plus the JSON body {@code {"text":..,"code":..}}, which may carry
 * {@code invalid-event-number} (events before it were indexed) or {@code ackId}.
 */
record HecResponse(int status, int code, String text, int invalidEventNumber, long ackId) {
    static final int CODE_SUCCESS = 0;
    static final int CODE_INVALID_DATA_FORMAT = 6;
    static final int CODE_SERVER_BUSY = 9;
    private static final ObjectMapper JSON = new ObjectMapper();

    static HecResponse parse(int status, String body) {
        int code = -1;
        String text = "";
        int invalid = -1;
        long ackId = -1;
        try {
            JsonNode n = body == null || body.isBlank() ? null : JSON.readTree(body);
            if (n != null && n.isObject()) {
                code = n.path("code").asInt(-1);
                text = n.path("text").asText("");
                invalid = n.path("invalid-event-number").asInt(-1);
                ackId = n.path("ackId").asLong(-1);
            }
        } catch (Exception e) {
            text = "unparseable reply";
        }
        return new HecResponse(status, code, text, invalid, ackId);
    }

    boolean success() {
        return status == 200 && (code == CODE_SUCCESS || code == -1);
    }

    /** HEC's own advice: 429, 5xx and "server busy" are worth retrying; 400/401/403 are not. */
    boolean retryable() {
        return status == 429 || status >= 500 || code == CODE_SERVER_BUSY
                || (status >= 402 && status != 403 && status < 500);
    }

    String describe() {
        return "HTTP " + status + (code >= 0 ? ", HEC code " + code : "") + (text.isEmpty() ? "" : " \"" + text + "\"");
    }
}
