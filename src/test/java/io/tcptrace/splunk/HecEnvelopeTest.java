package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        assertThrows(IllegalArgumentException.class, () -> HecEnvelope.epochMicros(null));
    }
}
