package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection the server ends: the server in this JVM sends its FIN first, the client (a child
 * bash process) reads to the end, waits, then closes. The server's socket leaves through
 * FIN_WAIT1/FIN_WAIT2, the client's through CLOSE_WAIT/LAST_ACK; both close events carry the
 * exact bytes each side moved and the process that owns that side.
 */
class ServerClosesFirstTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final int UP = 12_345;
    private static final int DOWN = 54_321;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void ipv4() throws Exception {
        serverClosesFirst("127.0.0.1");
    }

    @Test
    void ipv6() throws Exception {
        serverClosesFirst("::1");
    }

    private void serverClosesFirst(String address) throws Exception {
        try (TracerHarness h = new TracerHarness(TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT)   // closes: tracepoint only
                     .withExcludeOwnPid(false));
             ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName(address))) {
            int port = listener.getLocalPort();
            String listenerComm = KernelTestSupport.comm(KernelTestSupport.gettid());
            // The client reads until the server's FIN (wc prints what it got), then keeps its side
            // open a while before closing: the server's socket waits in FIN_WAIT2 meanwhile.
            Process client = new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port
                    + "; head -c " + UP + " /dev/zero >&3; wc -c <&3; sleep 0.3; exec 3>&-").start();
            try (Socket s = listener.accept()) {
                InputStream in = s.getInputStream();
                assertEquals(UP, in.readNBytes(UP).length);
                OutputStream out = s.getOutputStream();
                out.write(new byte[DOWN]);
                out.flush();
                Thread.sleep(150);
            }   // the server's FIN goes first
            String got = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            assertEquals(0, client.waitFor());
            assertEquals(Integer.toString(DOWN), got, "the client read everything up to the server's FIN");

            List<ConnectionEvent> events = h.awaitCount(4, e -> e.destPort() == port);
            assertEquals(4, events.size(), events.toString());
            List<ConnectionEvent> closes = events.stream().filter(e -> e.type() == Type.CLOSE).toList();
            assertEquals(2, closes.size(), events.toString());
            ConnectionEvent clientClose = closes.stream().filter(e -> !e.inbound()).findFirst().orElseThrow();
            ConnectionEvent serverClose = closes.stream().filter(ConnectionEvent::inbound).findFirst().orElseThrow();

            assertEquals(client.pid(), clientClose.processId(), "the client's close belongs to the client");
            assertEquals("bash", clientClose.processName());
            assertEquals(UP, clientClose.bytesOut(), "client bytes_out");
            assertEquals(DOWN, clientClose.bytesIn(), "client bytes_in");
            assertEquals("outbound", clientClose.direction());

            assertEquals(PID, serverClose.processId(), "the server's close belongs to the acceptor");
            assertEquals(listenerComm, serverClose.processName(), "the listening thread's name");
            assertEquals(DOWN, serverClose.bytesOut(), "server bytes_out");
            assertEquals(UP, serverClose.bytesIn(), "server bytes_in");
            assertEquals("inbound", serverClose.direction());

            ConnectionEvent connect = events.stream().filter(e -> e.type() == Type.CONNECT).findFirst().orElseThrow();
            for (ConnectionEvent close : closes) {
                assertEquals("teardown", close.action());
                assertTrue(close.durationMicros() >= 150_000, "duration " + close.durationMicros() + " µs");
                assertEquals(connect.srcIp(), close.srcIp());
                assertEquals(connect.srcPort(), close.srcPort());
                assertEquals(connect.destIp(), close.destIp());
                assertEquals(port, close.destPort());
            }
            assertTrue(clientClose.durationMicros() > serverClose.durationMicros(),
                    "the client closed 0.3 s after the server");
        }
    }
}
