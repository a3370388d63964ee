package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.event.Outcome;
import io.tcptrace.event.TcpHealth;
import io.tcptrace.process.TestProgram;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TCP health read from the kernel's own counters on real, impaired connections: a network
 * namespace whose loopback has Ethernet's MTU, a token bucket (tc tbf: queueing delay; this
 * kernel has no netem) and an iptables rule dropping 5% of the data segments. Host only: the
 * emulated guest kernel has its modules elsewhere.
 */
class TcpHealthTest {
    private static final TestConfig TRACEPOINT = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT);
    private static final int BYTES = 400_000;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void aShapedLossyConnectionShowsRoundTripRetransmitsAndPackets() throws Exception {
        try (TestProgram program = new TestProgram(); TestNetns ns = new TestNetns("health")) {
            // one segment per packet (no GSO batches), so the drop rule below sees every data segment
            TestNetns.run("ip", "-n", ns.name, "link", "set", "lo", "mtu", "1500", "gso_max_segs", "1");
            TestNetns.run("ip", "netns", "exec", ns.name, "tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate",
                    "4mbit", "burst", "16kb", "latency", "300ms");
            try (ListeningChild server = new ListeningChild(program, ns.exec(), "127.0.0.1", 0);
                    TracerHarness h = new TracerHarness(TRACEPOINT)) {
                // full-size segments to the server only, lost on arrival (a drop on the way out would be
                // an error the sender sees and simply sends again, not a loss): SYNs, ACKs and FINs pass
                TestNetns.run("ip", "netns", "exec", ns.name, "iptables", "-A", "INPUT", "-p", "tcp", "--dport",
                        Integer.toString(server.port), "-m", "length", "--length", "1000:65535", "-m", "statistic",
                        "--mode", "random", "--probability", "0.05", "-j", "DROP");
                Process client = new ProcessBuilder("sh", "-c", "exec " + ns.exec() + " " + program.binary + " --send 127.0.0.1 "
                        + server.port + " " + BYTES).redirectErrorStream(true).start();
                h.awaitMatching(e -> e.type() == Type.CONNECT && e.destPort() == server.port);
                server.acceptAndClose();
                assertTrue(client.waitFor(60, TimeUnit.SECONDS), "the client ends");
                assertEquals(0, client.exitValue());
                List<ConnectionEvent> closes = h.awaitCount(2, e -> e.type() == Type.CLOSE && e.destPort() == server.port);
                assertEquals(2, closes.size(), closes.toString());
                ConnectionEvent sender = closes.stream().filter(e -> !e.inbound()).findFirst().orElseThrow();
                ConnectionEvent receiver = closes.stream().filter(ConnectionEvent::inbound).findFirst().orElseThrow();
                assertEquals(BYTES, sender.bytesOut());
                assertEquals(BYTES, receiver.bytesIn());
                TcpHealth sent = sender.health();
                // loopback's round trip is tens of microseconds; behind a 4 Mbit/s queue it is milliseconds
                assertTrue(sent.rttMicros() > 1_000, "rtt " + sent);
                assertTrue(sent.rttVarMicros() > 0, "rtt_var " + sent);
                // 5% of ~280 data segments lost (iptables counts them): the lost data was sent again
                long dropped = droppedPackets(ns, "INPUT");
                assertTrue(dropped > 0, "the rule dropped segments: " + dropped);
                assertTrue(sent.retransmits() > 0, "retransmits " + sent + ", dropped " + dropped);
                int dataSegments = (BYTES + 1447) / 1448;
                assertTrue(sent.packetsOut() >= dataSegments + sent.retransmits(), "packets_out " + sent);
                assertTrue(sent.packetsIn() >= 10, "the receiver's ACKs: packets_in " + sent);
                TcpHealth received = receiver.health();
                assertTrue(received.packetsIn() >= dataSegments, "packets_in " + received);
                assertEquals(0, received.retransmits(), "the receiver's segments were never dropped: " + received);
            }
        }
    }

    /** A connect whose SYNs are all dropped fails when the kernel gives up; its SYN retries are counted. */
    @Test
    void aTimedOutConnectCountsItsSynRetries() throws Exception {
        try (TestProgram program = new TestProgram(); TestNetns ns = new TestNetns("synretry")) {
            // one retry, so the kernel gives up after about 3 s instead of 2 minutes
            TestNetns.run("ip", "netns", "exec", ns.name, "sysctl", "-q", "-w", "net.ipv4.tcp_syn_retries=1");
            TestNetns.run("ip", "netns", "exec", ns.name, "iptables", "-A", "INPUT", "-p", "tcp", "--syn", "--dport",
                    "9", "-j", "DROP");
            try (TracerHarness h = new TracerHarness(TRACEPOINT)) {
                Process client = new ProcessBuilder("sh", "-c", "exec " + ns.exec() + " " + program.binary
                        + " --connect-to 127.0.0.1 9").redirectErrorStream(true).start();
                assertTrue(client.waitFor(60, TimeUnit.SECONDS), "the connect gives up");
                assertEquals(3, client.exitValue(), "connect failed");
                List<ConnectionEvent> connects = h.awaitMatching(e -> e.type() == Type.CONNECT && e.destPort() == 9
                        && e.netns() == inode(ns));
                assertEquals(1, connects.size(), connects.toString());
                ConnectionEvent connect = connects.get(0);
                assertEquals(Outcome.FAILED, connect.outcome());
                // every SYN sent met the DROP rule: its packet count is the first SYN and each retry
                long synsSent = droppedPackets(ns, "INPUT");
                assertTrue(synsSent >= 2, "the kernel retried at least once: " + synsSent + " SYNs");
                assertEquals(synsSent - 1, connect.health().retransmits(), connect.toString());
                assertNull(connect.health().packetsOut() == TcpHealth.ABSENT ? null : connect.health(),
                        "a connect carries its SYN retries only");
            }
        }
    }

    /** Packets the DROP rule of one of the namespace's chains dropped, as iptables counts them. */
    private static long droppedPackets(TestNetns ns, String chain) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns.name, "iptables", "-L", chain, "-v", "-n", "-x")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        // Chain INPUT header, the column header, then the rule: "pkts bytes target ..."
        String rule = out.lines().filter(l -> l.contains("DROP")).findFirst().orElseThrow(() -> new AssertionError(out));
        return Long.parseLong(rule.strip().split("\\s+")[0]);
    }

    private static long inode(TestNetns ns) {
        try {
            return ns.inode();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
