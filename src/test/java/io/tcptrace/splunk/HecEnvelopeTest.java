package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The kernel time header as HEC's epoch seconds, whether it is a Long of microseconds or an Instant. */
class HecEnvelopeTest {

    @Test
    void longMicrosAndInstantGiveTheSameTime() {
        Instant t = Instant.parse("2026-11-24T19:49:24.000083Z");
        long micros = t.getEpochSecond() * 1_000_000L + 83;
        assertEquals(micros, HecEnvelope.epochMicros(t));
        assertEquals(micros, HecEnvelope.epochMicros(micros));
        assertEquals(t.getEpochSecond() + ".000083", HecEnvelope.epochSeconds(micros));
        // The tracer's own events (the stats report) carry no kernel time: they are stamped now.
        long before = System.currentTimeMillis() * 1000;
        long stamped = HecEnvelope.epochMicros(null);
        assertTrue(stamped >= before && stamped <= System.currentTimeMillis() * 1000 + 1000, "stamped now");
    }

    @Test
    void envelopeBytesAreTheTimeTheConstantFieldsAndTheEvent() {
        HecEnvelope envelope = new HecEnvelope();
        envelope.setHost("h1");
        envelope.setIndex("net");
        byte[] event = "{\"dest_port\":443}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (long micros : new long[] {1_764_013_764_521_083L, 1_764_013_764_000_007L, 1_764_013_764_000_000L, 999_999L,
            -1L}) {
            String json = new String(envelope.wrap(event, micros), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals("{\"time\":" + HecEnvelope.epochSeconds(micros) + ",\"host\":\"h1\",\"source\":\"tcptrace\","
                    + "\"sourcetype\":\"linux:ebpf:tcp\",\"index\":\"net\",\"event\":{\"dest_port\":443}}", json);
        }
        assertEquals("1764013764.000007", HecEnvelope.epochSeconds(1_764_013_764_000_007L));
        assertEquals("-1.999999", HecEnvelope.epochSeconds(-1L));
    }
}
