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

                assertEquals(0, h.tracer.map("conns").countKeys(), "the connections from before the detach are forgotten");
                assertEquals(0, h.tracer.map("pending").countKeys());
                for (Socket s : during) {
                    s.close();
                }
                try (Socket after = new Socket(LOOPBACK, port); Socket afterAccepted = server.accept()) {
                    after.getOutputStream().write(new byte[1000]);
                    assertEquals(1000, afterAccepted.getInputStream().readNBytes(1000).length);
                }
                List<ConnectionEvent> closes = h.awaitCount(2, e -> e.destPort() == port && e.type() == Type.CLOSE);
                List<ConnectionEvent> since = h.events.subList(seenBefore, h.events.size());
                // Only the connection made after the resume has a close: those opened while detached were
                // never seen established, and none of them took an entry from before.
                assertEquals(2, closes.size(), since.toString());
                for (ConnectionEvent e : closes) {
                    assertEquals(1000, e.inbound() ? e.bytesIn() : e.bytesOut(), e.toString());
                    assertEquals(0, e.inbound() ? e.bytesOut() : e.bytesIn(), e.toString());
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
