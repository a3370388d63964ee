package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonLineTest {
    @ParameterizedTest
    @ValueSource(strings = {"{}", " {\"a\":1} ", "{\"s\":\"br{ace [and] \\\" quote\",\"n\":[1,{\"x\":null}],\"u\":\"\u00e9\"}",
            "{\"event\":{\"dest_port\":9,\"process\":\"a\\\\\"},\"time\":1.5}"})
    void wholeObjectsPass(String line) {
        assertTrue(JsonLine.isObject(line.getBytes(StandardCharsets.UTF_8)), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "not json at all", "[1,2,3]", "{\"a\":1} {\"b\":2}", "{\"n\":250,\"pad\":\"xx",
            "{\"a\":{\"b\":1}", "{\"a\":1}}", "\u0000\u0000\u0000", "{\"a\":\"x\u0001y\"}", "{\"a\":1,\u0000}",
            "{\"a\":\"ends in an escape\\", "\"just a string\"", "{\"a\":1}x"})
    void tornOrForeignLinesFail(String line) {
        assertFalse(JsonLine.isObject(line.getBytes(StandardCharsets.UTF_8)), line);
    }
}
