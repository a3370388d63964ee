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
}
