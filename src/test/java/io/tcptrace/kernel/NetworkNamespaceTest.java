package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.TestProgram;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two network namespaces, as two pods on one node: each runs a server program of its own name on
 * the same port and a client that connects to it. Every accept and server-side close must name
 * its own namespace's server, whether the servers listened before the tracer started (seeded
 * from /proc, per namespace) or after (learnt by the program), and every event its namespace.
 * Accept and close exist in tracepoint mode only, so this class names its mode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkNamespaceTest {
    private static final TestConfig TRACEPOINT = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT);

    private TestProgram serverA;
    private TestProgram serverB;
    private TestProgram hostServer;
    private TestProgram client;
    private TestNetns a;
    private TestNetns b;

    @BeforeAll
    void start() throws Exception {
        KernelTestSupport.requireKernel();
        serverA = new TestProgram();
        serverB = new TestProgram();
        hostServer = new TestProgram();
        client = new TestProgram();
        a = new TestNetns("a");
        b = new TestNetns("b");
    }

    @AfterAll
    void stop() throws Exception {
        TestNetns.closeAll(java.util.Arrays.asList(a, b, serverA, serverB, hostServer, client));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void serversThatListenedBeforeTheStartOwnTheirOwnNamespacesAccepts(String address) throws Exception {
        int port = port();
        try (ListeningChild inA = new ListeningChild(serverA, a.exec(), address, port);
                ListeningChild inB = new ListeningChild(serverB, b.exec(), address, port);
                TracerHarness h = new TracerHarness(TRACEPOINT.withDestPorts(Set.of(port)))) {
            assertTrue(h.tracer.listenerSeed().namespaces() >= 3, "the host's and both test namespaces were read: "
                    + h.tracer.listenerSeed());
            eachServerAcceptsItsOwnClient(h, inA, inB, address, port);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void serversThatListenAfterTheStartOwnTheirOwnNamespacesAccepts(String address) throws Exception {
        int port = port();
        try (TracerHarness h = new TracerHarness(TRACEPOINT.withDestPorts(Set.of(port)));
                ListeningChild inA = new ListeningChild(serverA, a.exec(), address, port);
                ListeningChild inB = new ListeningChild(serverB, b.exec(), address, port)) {
            eachServerAcceptsItsOwnClient(h, inA, inB, address, port);
        }
    }

    /** The host's own server and a namespace's on one port: neither takes the other's accepts. */
    @Test
    void aHostServerOnTheSamePortAsANamespacesKeepsItsOwnAccepts() throws Exception {
        int port = port();
        long hostNs = ((Number) java.nio.file.Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino")).longValue();
        try (ListeningChild onHost = new ListeningChild(hostServer, "", "127.0.0.1", port);   // before the start: seeded
                TracerHarness h = new TracerHarness(TRACEPOINT.withDestPorts(Set.of(port)));
                ListeningChild inA = new ListeningChild(serverA, a.exec(), "127.0.0.1", port)) {   // after: learnt
            TestNetns.run(client.binary.toString(), "--connect-to", "127.0.0.1", Integer.toString(port));
            onHost.acceptAndClose();
            a.connect(client, "127.0.0.1", port);
            inA.acceptAndClose();
            List<ConnectionEvent> inbound = h.awaitCount(4, e -> e.inbound() && e.destPort() == port);
            assertEquals(4, inbound.size(), inbound.toString());
            assertOwnedBy(inbound, hostNs, onHost, hostServer);
            assertOwnedBy(inbound, a.inode(), inA, serverA);
        }
    }

    private void eachServerAcceptsItsOwnClient(TracerHarness h, ListeningChild inA, ListeningChild inB, String address,
            int port) throws Exception {
        a.connect(client, address, port);
        inA.acceptAndClose();
        b.connect(client, address, port);
        inB.acceptAndClose();
        List<ConnectionEvent> inbound = h.awaitCount(4, e -> e.inbound() && e.destPort() == port);
        assertEquals(4, inbound.size(), inbound.toString());
        assertOwnedBy(inbound, a.inode(), inA, serverA);
        assertOwnedBy(inbound, b.inode(), inB, serverB);
        // The clients' side: a connect and a close in each namespace, by the client program.
        List<ConnectionEvent> outbound = h.awaitCount(4, e -> !e.inbound() && e.destPort() == port);
        assertEquals(4, outbound.size(), outbound.toString());
        String clientComm = comm(client);
        for (long ns : List.of(a.inode(), b.inode())) {
            List<ConnectionEvent> mine = outbound.stream().filter(e -> e.netns() == ns).toList();
            assertEquals(Set.of(Type.CONNECT, Type.CLOSE), Set.copyOf(mine.stream().map(ConnectionEvent::type).toList()),
                    "namespace " + ns + ": " + outbound);
            mine.forEach(e -> assertEquals(clientComm, e.processName(), e.toString()));
        }
    }

    /** The accept and the close of namespace {@code ns} name that namespace's server, and nothing else does. */
    private static void assertOwnedBy(List<ConnectionEvent> inbound, long ns, ListeningChild server, TestProgram program) {
        List<ConnectionEvent> mine = inbound.stream().filter(e -> e.netns() == ns).toList();
        assertEquals(2, mine.size(), "accept and close in namespace " + ns + ": " + inbound);
        assertEquals(Set.of(Type.ACCEPT, Type.CLOSE), Set.copyOf(mine.stream().map(ConnectionEvent::type).toList()));
        for (ConnectionEvent e : mine) {
            assertEquals(server.pid, e.processId(), "namespace " + ns + "'s server: " + e);
            assertEquals(comm(program), e.processName(), e.toString());
        }
        assertTrue(inbound.stream().filter(e -> e.processId() == server.pid).allMatch(e -> e.netns() == ns),
                "the server of namespace " + ns + " owns no other namespace's connection: " + inbound);
    }

    private static String comm(TestProgram p) {
        return p.binary.getFileName().toString().substring(0, 15);
    }

    /** A port free on the host; in the fresh namespaces every port is. */
    private static int port() throws Exception {
        for (int i = 0; i < 100; i++) {
            int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (java.io.IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free port found");
    }
}
