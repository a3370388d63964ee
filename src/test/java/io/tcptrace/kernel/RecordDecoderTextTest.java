package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.tcptrace.event.ConnectionEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decoder reuses the text of a comm and of an IPv4 address while they repeat (so the JSON
 * writer can copy their encoded bytes); a changed value must always get its own text, also one
 * that differs only after a shorter one's end.
 */
class RecordDecoderTextTest {
    private final List<ConnectionEvent> events = new ArrayList<>();
    private final RecordDecoder decoder = new RecordDecoder(new KernelClock(), "h", events::add);

    @Test
    void repeatedValuesShareTheirTextAndChangedOnesGetTheirOwn() {
        decode("curl", new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 9});
        decode("curl", new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 9});
        decode("curl-x", new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, (byte) 200});
        decode("cur", new byte[] {10, 0, 0, 2}, new byte[] {10, 0, 0, (byte) 200});
        decode("curl", new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 9});

        assertEquals(List.of("curl", "curl", "curl-x", "cur", "curl"),
                events.stream().map(ConnectionEvent::processName).toList());
        assertEquals(List.of("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1"),
                events.stream().map(ConnectionEvent::srcIp).toList());
        assertEquals(List.of("10.0.0.9", "10.0.0.9", "10.0.0.200", "10.0.0.200", "10.0.0.9"),
                events.stream().map(ConnectionEvent::destIp).toList());
        assertSame(events.get(0).processName(), events.get(1).processName());
        assertSame(events.get(0).srcIp(), events.get(2).srcIp());
        assertSame(events.get(2).destIp(), events.get(3).destIp());
    }

    private void decode(String comm, byte[] src, byte[] dest) {
        decoder.onRecord(ConnectRecords.ipv4Connect(4242, 0, 1, comm, src, dest), 0, RecordDecoder.SIZE);
    }
}
