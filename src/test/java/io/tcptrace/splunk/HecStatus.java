package io.tcptrace.splunk;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * The HEC answers this server can give: HTTP status, HEC {@code code} and {@code text}, as in Splunk's
 * "Troubleshoot HTTP Event Collector" table, so clients are tested against the texts they will see in production.
 */
enum HecStatus {
    SUCCESS(200, 0, "Success"),
    TOKEN_DISABLED(403, 1, "Token disabled"),
    TOKEN_REQUIRED(401, 2, "Token is required"),
    INVALID_AUTHORIZATION(401, 3, "Invalid authorization"),
    INVALID_TOKEN(403, 4, "Invalid token"),
    NO_DATA(400, 5, "No data"),
    INVALID_DATA_FORMAT(400, 6, "Invalid data format"),
    INCORRECT_INDEX(400, 7, "Incorrect index"),
    INTERNAL_ERROR(500, 8, "Internal server error"),
    SERVER_BUSY(503, 9, "Server is busy"),
    CHANNEL_MISSING(400, 10, "Data channel is missing"),
    INVALID_CHANNEL(400, 11, "Invalid data channel"),
    EVENT_REQUIRED(400, 12, "Event field is required"),
    EVENT_BLANK(400, 13, "Event field cannot be blank"),
    ACK_DISABLED(400, 14, "ACK is disabled"),
    INDEXED_FIELDS_ERROR(400, 15, "Error in handling indexed fields"),
    HEALTHY(200, 17, "HEC is healthy"),
    UNHEALTHY(503, 18, "HEC is unhealthy, queues are full");

    private static final ObjectMapper JSON = new ObjectMapper();

    final int httpStatus;
    final int code;
    final String text;

    HecStatus(int httpStatus, int code, String text) {
        this.httpStatus = httpStatus;
        this.code = code;
        this.text = text;
    }

    /** {@code {"text":…,"code":…}}, the shape every HEC answer starts with; callers may add fields. */
    ObjectNode body() {
        return body(text, code);
    }

    static ObjectNode body(String text, int code) {
        ObjectNode node = JSON.createObjectNode();
        node.put("text", text);
        node.put("code", code);
        return node;
    }

    static byte[] bytes(ObjectNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
