package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.TestCgroup;
import io.tcptrace.process.TestProgram;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Listeners opened before the tracer started (the usual case: sshd, nginx, databases): the
 * tracer seeds the BPF program's listeners map from /proc, so their accepts and closes carry the
 * owner. The server is a real child process of another user, in a cgroup of its own, which
 * listens before the tracer is opened; the same child then opens a second listener after the
 * start, which the kernel learns itself: both must give the same owner. Accept and close exist
 * in tracepoint mode only, so this class names its mode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListenerSeedTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final long NOBODY = 65534;
    private static final TestConfig TRACEPOINT = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT);

    private TestProgram program;
    private Path mount;

    @BeforeAll
    void start() throws Exception {
        KernelTestSupport.requireKernel();
        mount = CgroupPaths.findMount();   // null in the test-kernels guest: the child stays in the root cgroup
        program = new TestProgram();
    }

    @AfterAll
    void stop() throws Exception {
        if (program != null) {
            program.close();
        }
    }

    @Test
    void ipv4ListenerOpenedBeforeTheStartHasItsOwnerOnAcceptAndClose() throws Exception {
        seededOwner("127.0.0.1");
    }

    @Test
    void ipv6ListenerOpenedBeforeTheStartHasItsOwnerOnAcceptAndClose() throws Exception {
        seededOwner("::1");
    }

    private void seededOwner(String address) throws Exception {
        String unit = "/tcptrace-test.slice/listener-" + ThreadLocalRandom.current().nextInt(1_000_000) + ".scope";
        try (TestCgroup cgroup = mount == null ? null : new TestCgroup(mount, unit)) {
            try (ListeningChild child = new ListeningChild(program, cgroup, NOBODY, address);
                    TracerHarness h = new TracerHarness(TRACEPOINT)) {
                ListenerSeed.Result seed = h.tracer.listenerSeed();
                assertNotNull(seed, "the seed ran");
                assertTrue(seed.seeded() >= 1, seed.toString());
                int before = child.port;
                connectSendClose(address, before);
                child.acceptAndClose();
                int after = child.listen();   // listen() while attached: the kernel's own entry
                connectSendClose(address, after);
                child.acceptAndClose();

                // Our own client side is excluded (excludeOwnPid): the child's accept and close per port.
                List<ConnectionEvent> events = h.awaitCount(4, e -> e.destPort() == before || e.destPort() == after);
                assertEquals(4, events.size(), events.toString());
                ConnectionEvent seededAccept = one(events, Type.ACCEPT, before);
                ConnectionEvent seededClose = one(events, Type.CLOSE, before);
                ConnectionEvent learntAccept = one(events, Type.ACCEPT, after);
                ConnectionEvent learntClose = one(events, Type.CLOSE, after);

                String comm = program.binary.getFileName().toString().substring(0, 15);
                for (ConnectionEvent e : List.of(seededAccept, seededClose, learntAccept, learntClose)) {
                    assertTrue(e.inbound(), e.toString());
                    assertEquals(child.pid, e.processId(), "the listener's owner: " + e);
                    assertEquals(child.pid, e.threadId(), "a single-threaded server: " + e);
                    assertEquals(NOBODY, e.userId(), e.toString());
                    assertEquals(comm, e.processName(), e.toString());
                    if (cgroup != null) {
                        assertEquals(cgroup.id(), e.cgroupId(), e.toString());
                    }
                }
                // What /proc gave is what the kernel's helpers gave in the same process.
                assertEquals(owner(learntAccept), owner(seededAccept));
            }
        }
    }

    /**
     * A re-attach forgets what the program learnt before the detach (a listener may have closed
     * unseen and its port gone to another process) and takes the owner from /proc again.
     */
    @Test
    void aReattachTakesTheListenersOwnerFromProcAgain() throws Exception {
        try (TracerHarness h = new TracerHarness(TRACEPOINT.withExcludeOwnPid(false));
                ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // listen() ran on this thread: the kernel's entry has this thread's id, /proc gives the pid.
            long tid = KernelTestSupport.gettid();
            assertNotEquals(PID, tid, "a JUnit thread is not the JVM's main thread");
            int port = listener.getLocalPort();
            acceptOne(listener, port);
            List<ConnectionEvent> learnt = h.awaitCount(1, e -> e.type() == Type.ACCEPT && e.destPort() == port);
            assertEquals(tid, learnt.get(0).threadId(), "before the detach: the kernel's own entry");
            h.tracer.detach();
            h.tracer.attach();   // clears the listeners map, then seeds it from /proc
            acceptOne(listener, port);
            List<ConnectionEvent> accepts = h.awaitCount(2, e -> e.type() == Type.ACCEPT && e.destPort() == port);
            assertEquals(2, accepts.size(), accepts.toString());
            assertEquals(PID, accepts.get(1).processId());
            assertEquals(PID, accepts.get(1).threadId(), "the seed's entry (tid = pid), not the one from before");
        }
    }

    private static void acceptOne(ServerSocket listener, int port) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                Socket accepted = listener.accept()) {
            client.getOutputStream().write(1);
            assertEquals(1, accepted.getInputStream().read());
        }
    }

    @Test
    void excludedPidAppliesToAListenerOpenedBeforeTheStart() throws Exception {
        try (ListeningChild child = new ListeningChild(program, null, -1, "127.0.0.1");
                TracerHarness h = new TracerHarness(TRACEPOINT.withExcludeOwnPid(false)
                        .withExcludePids(Set.of((long) child.pid)))) {
            connectSendClose("127.0.0.1", child.port);
            child.acceptAndClose();
            // Our connect and its close show the connection was traced...
            List<ConnectionEvent> ours = h.awaitCount(2, e -> e.destPort() == child.port && !e.inbound());
            assertEquals(2, ours.size(), ours.toString());
            // ...while the child's side is dropped in the kernel, as for a listener it saw open.
            List<ConnectionEvent> theirs = h.collectFor(300, e -> e.destPort() == child.port && e.inbound());
            assertEquals(List.of(), theirs);
            assertTrue(h.tracer.counters().filtered() >= 1, h.tracer.counters().toString());
        }
    }

    private static void connectSendClose(String address, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(address), port));
            s.getOutputStream().write(new byte[100]);
        }
    }

    private static List<Object> owner(ConnectionEvent e) {
        return List.of(e.processId(), e.threadId(), e.userId(), e.processName(), e.cgroupId());
    }

    private static ConnectionEvent one(List<ConnectionEvent> events, Type type, int port) {
        List<ConnectionEvent> found = events.stream().filter(e -> e.type() == type && e.destPort() == port).toList();
        assertEquals(1, found.size(), type + " on " + port + " in " + events);
        return found.get(0);
    }
}
