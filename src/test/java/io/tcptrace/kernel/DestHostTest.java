package io.tcptrace.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.names.NameCounters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * dest_host from real DNS: dnsmasq answers test names inside a network namespace whose
 * /etc/netns/NAME/resolv.conf points at it; Python resolves them there with getaddrinfo (glibc)
 * and connects. A second namespace and the host connect to the same addresses without a lookup
 * and must get no name. A, AAAA, DNS over TCP, a CNAME chain, an accepted connection, its close,
 * and a TTL that runs out.
 */
class DestHostTest {
    /** dnsmasq's TTL on its answers; the tracer's floor is 0 so this one governs. */
    private static final int TTL_SECONDS = 3;
    private static final String CLIENT = """
            import socket, sys
            mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            if mode == "lookup":
                family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
            else:
                family, address = (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, port)
            s = socket.socket(family, socket.SOCK_STREAM)
            try:
                s.connect(address)
                s.sendall(b"hello")
            except ConnectionRefusedError:
                pass
            s.close()
            print(address[0])
            """;
    private static final String SERVER = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(4)
            print("listening", flush=True)
            c, _ = s.accept()
            c.recv(16)
            c.close()
            """;

    private TestNetns looking;
    private TestNetns other;
    private Process dnsmasq;
    private Path scripts;

    @BeforeEach
    void namespaces() throws Exception {
        KernelTestSupport.requireKernel();
        looking = new TestNetns("dns");
        other = new TestNetns("nodns");
        Path etc = Path.of("/etc/netns", looking.name);
        Files.createDirectories(etc);
        Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:2 attempts:3\n");
        scripts = Files.createTempDirectory("tcptrace-dns");
        Files.writeString(scripts.resolve("client.py"), CLIENT);
        Files.writeString(scripts.resolve("server.py"), SERVER);
        dnsmasq = new ProcessBuilder("ip", "netns", "exec", looking.name, "dnsmasq", "--keep-in-foreground", "--log-facility=-",
                "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--port=53", "--local-ttl=" + TTL_SECONDS, "--pid-file=",
                "--host-record=web.tcptrace.test,127.0.0.2",
                "--host-record=v6.tcptrace.test,::1",
                "--host-record=target.tcptrace.test,127.0.0.3",
                "--host-record=tcp.tcptrace.test,127.0.0.4",
                "--cname=alias.tcptrace.test,target.tcptrace.test")
                .redirectErrorStream(true).redirectOutput(scripts.resolve("dnsmasq.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(KernelTestSupport.scaled(10_000) / 1000);
        while (!Files.readString(scripts.resolve("dnsmasq.log")).contains("started")) {
            assertTrue(dnsmasq.isAlive() && System.nanoTime() < deadline, "dnsmasq did not start: "
                    + Files.readString(scripts.resolve("dnsmasq.log")));
            Thread.sleep(50);
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (dnsmasq != null) {
            dnsmasq.destroy();
            dnsmasq.waitFor(10, TimeUnit.SECONDS);
        }
        TestNetns.closeAll(List.of(looking, other));
        Files.deleteIfExists(Path.of("/etc/netns", looking.name, "resolv.conf"));
        Files.deleteIfExists(Path.of("/etc/netns", looking.name));
    }

    @Test
    void connectionsInTheNamespaceThatLookedUpTheirAddressCarryItsName() throws Exception {
        TestConfig config = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT).with(c -> {
            c.setDestHost("true");
            c.setDestHostTtlMin(0);
        });
        try (TracerHarness h = new TracerHarness(config)) {
            long ns = looking.inode();
            // A: refused (nothing listens on 127.0.0.2), named all the same
            assertEquals("127.0.0.2", client(looking, "lookup", "web.tcptrace.test", 9));
            ConnectionEvent web = one(h, e -> e.type() == Type.CONNECT && e.netns() == ns && e.destIp().equals("127.0.0.2"));
            assertEquals("web.tcptrace.test", web.destHost(), web.toString());
            // AAAA
            assertEquals("::1", client(looking, "lookup", "v6.tcptrace.test", 9));
            ConnectionEvent v6 = one(h, e -> e.type() == Type.CONNECT && e.netns() == ns && e.destIp().equals("::1"));
            assertEquals("v6.tcptrace.test", v6.destHost(), v6.toString());
            // DNS over TCP (glibc's use-vc): the answer in a TCP segment after its two-byte length
            assertEquals("127.0.0.4", client(looking, "lookup", "tcp.tcptrace.test", 9, "use-vc"));
            ConnectionEvent tcp = one(h, e -> e.type() == Type.CONNECT && e.netns() == ns && e.destIp().equals("127.0.0.4"));
            assertEquals("tcp.tcptrace.test", tcp.destHost(), tcp.toString());
            assertTrue(h.events.stream().anyMatch(e -> e.type() == Type.CONNECT && e.netns() == ns && e.destPort() == 53),
                    "the lookup went over TCP: its own connect to port 53 was traced");
            // a CNAME chain, to a server in the namespace: the name asked for, on all four events
            Process server = new ProcessBuilder("ip", "netns", "exec", looking.name, "python3",
                    scripts.resolve("server.py").toString(), "127.0.0.3", "8053").start();
            try {
                assertTrue(new String(server.getInputStream().readNBytes(9), StandardCharsets.UTF_8).equals("listening"));
                assertEquals("127.0.0.3", client(looking, "lookup", "alias.tcptrace.test", 8053));
                assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            } finally {
                server.destroy();
            }
            List<ConnectionEvent> chain = h.awaitCount(4, e -> e.netns() == ns && e.destPort() == 8053
                    && e.type() != Type.UPDATE);
            assertEquals(4, chain.size(), chain.toString());
            assertTrue(chain.stream().allMatch(e -> "alias.tcptrace.test".equals(e.destHost())), chain.toString());

            // the same addresses without a lookup: another namespace, and the host, get no name
            client(other, "direct", "127.0.0.2", 9);
            long otherNs = other.inode();
            ConnectionEvent elsewhere = one(h, e -> e.type() == Type.CONNECT && e.netns() == otherNs);
            assertNull(elsewhere.destHost(), elsewhere.toString());
            client(null, "direct", "127.0.0.2", 9);
            ConnectionEvent host = one(h, e -> e.type() == Type.CONNECT && e.netns() != ns && e.netns() != otherNs
                    && e.destIp().equals("127.0.0.2"));
            assertNull(host.destHost(), host.toString());

            // once the answer's TTL has run out, the address has no name (no lookup this time)
            Thread.sleep(TimeUnit.SECONDS.toMillis(TTL_SECONDS) + 500);
            h.events.clear();
            client(looking, "direct", "127.0.0.2", 10);
            ConnectionEvent late = one(h, e -> e.type() == Type.CONNECT && e.netns() == ns && e.destPort() == 10);
            assertNull(late.destHost(), late.toString());

            NameCounters counters = h.tracer.nameCounters();
            assertTrue(counters.answers() >= 4 && counters.lost() == 0, counters.toString());
        }
    }

    @Test
    void theCacheBoundDropsTheOldestNameAndCountsIt() throws Exception {
        TestConfig config = TestConfig.defaults().withProbe(ProbeMode.TRACEPOINT).with(c -> {
            c.setDestHost("true");
            c.setDestHostCacheEntries(1);
        });
        try (TracerHarness h = new TracerHarness(config)) {
            long ns = looking.inode();
            client(looking, "lookup", "web.tcptrace.test", 9);
            client(looking, "lookup", "alias.tcptrace.test", 9);
            one(h, e -> e.type() == Type.CONNECT && e.netns() == ns && e.destIp().equals("127.0.0.3"));
            client(looking, "direct", "127.0.0.2", 9);   // its name went when the second answer came
            List<ConnectionEvent> web = h.awaitCount(2, e -> e.type() == Type.CONNECT && e.netns() == ns
                    && e.destIp().equals("127.0.0.2"));
            assertEquals(2, web.size(), web.toString());
            assertEquals("web.tcptrace.test", web.get(0).destHost());
            assertNull(web.get(1).destHost(), web.toString());
            assertTrue(h.tracer.nameCounters().cacheEvicted() >= 1, h.tracer.nameCounters().toString());
        }
    }

    private String client(TestNetns ns, String mode, String host, int port) throws IOException, InterruptedException {
        return client(ns, mode, host, port, null);
    }

    /** Runs the client in {@code ns} (null: the host), with glibc's RES_OPTIONS; returns the address it connected to. */
    private String client(TestNetns ns, String mode, String host, int port, String resOptions)
            throws IOException, InterruptedException {
        ProcessBuilder pb = ns == null
                ? new ProcessBuilder("python3", scripts.resolve("client.py").toString(), mode, host, Integer.toString(port))
                : new ProcessBuilder("ip", "netns", "exec", ns.name, "python3", scripts.resolve("client.py").toString(),
                        mode, host, Integer.toString(port));
        if (resOptions != null) {
            pb.environment().put("RES_OPTIONS", resOptions);
        }
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "client failed: " + out);
        return out;
    }

    private static ConnectionEvent one(TracerHarness h, Predicate<ConnectionEvent> match) {
        List<ConnectionEvent> found = h.awaitMatching(match);
        assertEquals(1, found.size(), "expected one such event among " + h.events);
        return found.get(0);
    }
}
