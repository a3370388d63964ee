package io.tcptrace.splunk;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads an {@code /services/collector/event} body: JSON envelopes one after another, with or without whitespace
 * between them. Envelopes are read one by one with a streaming parser and checked in order; reading stops at the
 * first bad one, and the good ones before it are kept, as Splunk indexes them too.
 */
final class HecEventParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METADATA = Set.of("host", "source", "sourcetype", "index");

    /**
     * @param accepted           envelopes that passed, in body order
     * @param error              null on success, else why the request failed
     * @param invalidEventNumber 0-based position of the bad envelope in this body, or -1 when not about one event
     */
    record Result(List<JsonNode> accepted, HecStatus error, int invalidEventNumber) {
    }

    private HecEventParser() {
    }

    /**
     * @param injectedRejection test hook, asked once per well-formed envelope in order; true makes that envelope
     *                          count as unparseable (code 6)
     * @param allowedIndexes    indexes envelopes may name; empty means any
     */
    static Result parse(byte[] body, Predicate<JsonNode> injectedRejection, Set<String> allowedIndexes) {
        List<JsonNode> accepted = new ArrayList<>();
        if (isBlank(body)) {
            return new Result(accepted, HecStatus.NO_DATA, -1);
        }
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            while (true) {
                int position = accepted.size();
                JsonNode envelope;
                try {
                    JsonToken token = parser.nextToken();
                    if (token == null) {
                        return new Result(accepted, null, -1);
                    }
                    if (token != JsonToken.START_OBJECT) {
                        return new Result(accepted, HecStatus.INVALID_DATA_FORMAT, position);
                    }
                    envelope = JSON.readTree(parser);
                } catch (JsonProcessingException e) {
                    return new Result(accepted, HecStatus.INVALID_DATA_FORMAT, position);
                }
                HecStatus problem = injectedRejection.test(envelope)
                        ? HecStatus.INVALID_DATA_FORMAT
                        : check(envelope, allowedIndexes);
                if (problem != null) {
                    return new Result(accepted, problem, position);
                }
                accepted.add(envelope);
            }
        } catch (IOException e) {
            // Reading a byte array only fails on bad data, which is what the client sent.
            return new Result(accepted, HecStatus.INVALID_DATA_FORMAT, accepted.size());
        }
    }

    /** The rules of one envelope; null when it is fine. */
    static HecStatus check(JsonNode envelope, Set<String> allowedIndexes) {
        if (!envelope.has("event")) {
            return HecStatus.EVENT_REQUIRED;
        }
        JsonNode event = envelope.get("event");
        if (event.isNull() || (event.isTextual() && event.asText().isBlank())) {
            return HecStatus.EVENT_BLANK;
        }
        JsonNode time = envelope.get("time");
        if (time != null && !isEpochSeconds(time)) {
            return HecStatus.INVALID_DATA_FORMAT;
        }
        for (String name : METADATA) {
            JsonNode value = envelope.get(name);
            if (value != null && !value.isTextual()) {
                return HecStatus.INVALID_DATA_FORMAT;
            }
        }
        JsonNode index = envelope.get("index");
        if (index != null && !allowedIndexes.isEmpty() && !allowedIndexes.contains(index.asText())) {
            return HecStatus.INCORRECT_INDEX;
        }
        JsonNode fields = envelope.get("fields");
        if (fields != null && !areIndexedFields(fields)) {
            return HecStatus.INDEXED_FIELDS_ERROR;
        }
        return null;
    }

    /** Splunk takes epoch seconds, with a fraction, as a number or a numeric string. */
    private static boolean isEpochSeconds(JsonNode time) {
        if (time.isNumber()) {
            return true;
        }
        if (!time.isTextual()) {
            return false;
        }
        try {
            Double.parseDouble(time.asText());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Indexed fields are flat: an object whose values are scalars or arrays of scalars, never nested objects. */
    private static boolean areIndexedFields(JsonNode fields) {
        if (!fields.isObject()) {
            return false;
        }
        for (Map.Entry<String, JsonNode> field : fields.properties()) {
            JsonNode value = field.getValue();
            if (value.isArray()) {
                for (JsonNode item : value) {
                    if (!item.isValueNode() || item.isNull()) {
                        return false;
                    }
                }
            } else if (!value.isValueNode() || value.isNull()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }
}
