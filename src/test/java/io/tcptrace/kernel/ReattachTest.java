package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Suspend (detach), connections close and open unseen, resume (attach): socket addresses are
 * reused, so an entry kept from before the detach could give a later socket another process's
 * owner, another start time and a byte count that wraps. The re-attach forgets them all.
 * Accept and close exist in tracepoint mode only, so this class names its mode.
 */
class ReattachTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void whatWasSeenBeforeADetachNamesNothingAfterIt() throws Exception {
        KernelTestSupport.requireKernel();
        try (ServerSocket server = new ServerSocket(0, 100, LOOPBACK)) {
            int port = server.getLocalPort();
            TestConfig config = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT).withExcludeOwnPid(false)
                    .withDestPorts(Set.of(port));
            try (TracerHarness h = new TracerHarness(config)) {
                Socket before = new Socket(LOOPBACK, port);
                Socket beforeAccepted = server.accept();
                assertEquals(2, h.awaitCount(2, e -> e.destPort() == port && e.type() != Type.CLOSE).size(),
                        h.events.toString());
                assertEquals(2, h.tracer.map("conns").countKeys(), "both sides are tracked for their close");

                h.tracer.detach();
                before.close();   // closed unseen
                beforeAccepted.close();
                List<Socket> during = new ArrayList<>();
                for (int i = 0; i < 20; i++) {   // opened unseen, perhaps at the addresses just freed
                    Socket c = new Socket(LOOPBACK, port);
                    during.add(c);
                    during.add(server.accept());
                    c.getOutputStream().write(new byte[100]);
                }
                int seenBefore = h.events.size();
                h.tracer.attach();

                // Those from before the detach are forgotten; the 20 opened while detached are found
                // open again by the scan (both sides each), flagged preexisting.
                assertEquals(40, h.tracer.map("conns").countKeys(), "only the connections open now are tracked");
                assertEquals(0, h.tracer.map("pending").countKeys());
                for (Socket s : during) {
                    s.close();
                }
                try (Socket after = new Socket(LOOPBACK, port); Socket afterAccepted = server.accept()) {
                    after.getOutputStream().write(new byte[1000]);
                    assertEquals(1000, afterAccepted.getInputStream().readNBytes(1000).length);
                }
                List<ConnectionEvent> closes = h.awaitCount(42, e -> e.destPort() == port && e.type() == Type.CLOSE);
                List<ConnectionEvent> since = h.events.subList(seenBefore, h.events.size());
                assertEquals(42, closes.size(), since.toString());
                List<ConnectionEvent> seen = closes.stream().filter(e -> !e.preexisting()).toList();
                assertEquals(2, seen.size(), "only the connection made after the resume was seen from its start: " + since);
                for (ConnectionEvent e : seen) {
                    assertEquals(1000, e.inbound() ? e.bytesIn() : e.bytesOut(), e.toString());
                    assertEquals(0, e.inbound() ? e.bytesOut() : e.bytesIn(), e.toString());
                }
                for (ConnectionEvent e : closes) {
                    if (e.preexisting()) {
                        assertEquals(0, e.bytesIn() + e.bytesOut(), "counted from the scan, after their 100 bytes: " + e);
                    }
                }
                for (ConnectionEvent e : since) {
                    assertEquals(ProcessHandle.current().pid(), e.processId(), e.toString());
                    assertTrue(e.bytesIn() < 1L << 40 && e.bytesOut() < 1L << 40, "no wrapped count: " + e);
                    assertTrue(e.durationMicros() < 60_000_000L, "no duration from before: " + e);
                }
            }
        }
    }
}
