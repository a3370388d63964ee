package io.tcptrace.kernel.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.bcc.CpuList;
import io.tcptrace.kernel.KernelHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The offsets from BTF, used by a real BPF program in the running kernel: a connection this test
 * makes moves exact byte counts, and when it closes the program reads tcp_sock's counters, the
 * sock's ports and addresses, and the closing task's tgid, parent and argument length at the
 * KernelOffsets offsets. Each value must be what the test knows it to be.
 */
class KernelOffsetsBpfTest {
    private static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");
    private static final int UP = 12_345;
    private static final int DOWN = 54_321;

    // Slots of offsets-probe.bpf.c's `seen`.
    private static final int CLIENT_CLOSES = 0;
    private static final int CLIENT_RECEIVED = 1;
    private static final int CLIENT_ACKED = 2;
    private static final int CLIENT_NUM = 3;
    private static final int CLIENT_DPORT = 4;
    private static final int CLIENT_FAMILY = 5;
    private static final int CLIENT_SADDR = 6;
    private static final int CLIENT_DADDR = 7;
    private static final int CLIENT_V6_SADDR_LO = 8;
    private static final int CLIENT_V6_SADDR_HI = 9;
    private static final int CLIENT_V6_DADDR_LO = 10;
    private static final int CLIENT_V6_DADDR_HI = 11;
    private static final int TASK_TGID = 12;
    private static final int HELPER_TGID = 13;
    private static final int PARENT_TGID = 14;
    private static final int ARGS_LEN = 15;
    private static final int SERVER_CLOSES = 16;
    private static final int SERVER_RECEIVED = 17;

    @BeforeEach
    void kernel() {
        KernelTestSupport.requireKernel();
    }

    @Test
    void ipv4ConnectionsCountersPortsAddressesAndTaskAreReadAtTheBtfOffsets() throws Exception {
        long[] seen = closeAfterExchange(StandardProtocolFamily.INET, "127.0.0.1");
        assertEquals(2, seen[CLIENT_FAMILY], "skc_family AF_INET");
        byte[] loopback = InetAddress.getByName("127.0.0.1").getAddress();
        assertEquals(le32(loopback, 0), seen[CLIENT_SADDR], "skc_rcv_saddr 127.0.0.1");
        assertEquals(le32(loopback, 0), seen[CLIENT_DADDR], "skc_daddr 127.0.0.1");
    }

    @Test
    void ipv6AddressesAreReadAtTheBtfOffsets() throws Exception {
        long[] seen = closeAfterExchange(StandardProtocolFamily.INET6, "::1");
        assertEquals(10, seen[CLIENT_FAMILY], "skc_family AF_INET6");
        byte[] loopback = InetAddress.getByName("::1").getAddress();
        assertEquals(le64(loopback, 0), seen[CLIENT_V6_SADDR_LO], "skc_v6_rcv_saddr ::1, bytes 0-7");
        assertEquals(le64(loopback, 8), seen[CLIENT_V6_SADDR_HI], "skc_v6_rcv_saddr ::1, bytes 8-15");
        assertEquals(le64(loopback, 0), seen[CLIENT_V6_DADDR_LO], "skc_v6_daddr ::1, bytes 0-7");
        assertEquals(le64(loopback, 8), seen[CLIENT_V6_DADDR_HI], "skc_v6_daddr ::1, bytes 8-15");
    }

    /**
     * Sends {@link #UP} bytes from a client to a server and {@link #DOWN} back, attaches the
     * probe, then resets the client (SO_LINGER 0): its close runs tcp_disconnect in this thread,
     * and the RST closes the server's socket. Returns the probe's slots, after checking those
     * common to both families.
     */
    private long[] closeAfterExchange(StandardProtocolFamily family, String address) throws Exception {
        KernelOffsets offsets = KernelOffsets.fromRunningKernel();
        InetAddress loopback = InetAddress.getByName(address);
        try (ServerSocketChannel server = ServerSocketChannel.open(family)) {
            server.bind(new InetSocketAddress(loopback, 0));
            int serverPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
            SocketChannel client = SocketChannel.open(family);
            // An explicit port (SOCK_BINDPORT_LOCK): tcp_set_state(CLOSE) releases an automatic
            // one and zeroes skc_num before the tracepoint fires (so does an accepted socket's).
            bindExplicitPort(family, loopback, client::bind);
            try (SocketChannel accepted = connect(client, server, loopback, serverPort)) {
                int clientPort = ((InetSocketAddress) client.getLocalAddress()).getPort();
                write(client, UP);
                assertEquals(UP, read(accepted, UP));
                write(accepted, DOWN);
                assertEquals(DOWN, read(client, DOWN));

                List<String> flags = new ArrayList<>(offsets.cflags());
                flags.add("-DCLIENT_PORT=" + clientPort);
                flags.add("-DSERVER_PORT=" + serverPort);
                KernelHeaders.prepare(CACHE);
                try (BpfModule probe = BpfModule.compile(source(), "offsets-probe.bpf.c", flags)) {
                    probe.attachTracepoint("sock", "inet_sock_set_state", "tracepoint__sock__inet_sock_set_state");
                    client.setOption(StandardSocketOptions.SO_LINGER, 0);
                    client.close();
                    long[] seen = awaitBothCloses(probe.map("seen"));

                    assertEquals(DOWN, seen[CLIENT_RECEIVED], "client tcp_sock.bytes_received");
                    assertEquals(UP, seen[SERVER_RECEIVED], "server tcp_sock.bytes_received");
                    // The server acknowledged all UP bytes with its first reply segment. tcp_ack
                    // also counted the SYN: snd_una advanced past the ISN when SYN-ACK arrived.
                    assertEquals(UP + 1, seen[CLIENT_ACKED], "client tcp_sock.bytes_acked: data + SYN");
                    assertEquals(clientPort, seen[CLIENT_NUM], "client skc_num");
                    assertEquals(Short.toUnsignedLong(Short.reverseBytes((short) serverPort)), seen[CLIENT_DPORT],
                            "client skc_dport (network order)");
                    long pid = ProcessHandle.current().pid();
                    assertEquals(pid, seen[HELPER_TGID], "the close ran in this process");
                    assertEquals(pid, seen[TASK_TGID], "task_struct.tgid");
                    assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), seen[PARENT_TGID],
                            "task_struct.real_parent->tgid");
                    assertEquals(Files.readAllBytes(Path.of("/proc/self/cmdline")).length, seen[ARGS_LEN],
                            "mm_struct.arg_end - arg_start");
                    return seen;
                }
            } finally {
                client.close();
            }
        }
    }

    private interface Binder {
        void bind(InetSocketAddress address) throws IOException;
    }

    /** Binds to a port named explicitly: one that was free a moment ago, tried again if taken since. */
    private static void bindExplicitPort(StandardProtocolFamily family, InetAddress address, Binder binder)
            throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocketChannel probe = ServerSocketChannel.open(family)) {
                probe.bind(new InetSocketAddress(address, 0));
                port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
            }
            try {
                binder.bind(new InetSocketAddress(address, port));
                return;
            } catch (BindException taken) {
                if (attempt == 10) {
                    throw taken;
                }
            }
        }
    }

    private static SocketChannel connect(SocketChannel client, ServerSocketChannel server, InetAddress address,
            int port) throws IOException {
        client.connect(new InetSocketAddress(address, port));
        SocketChannel accepted = server.accept();
        assertNotNull(accepted);
        return accepted;
    }

    private static long[] awaitBothCloses(BpfMap seen) throws InterruptedException {
        int cpus = CpuList.possibleCount();
        long deadline = System.nanoTime() + KernelTestSupport.scaled(5000) * 1_000_000L;
        long[] slots = new long[SERVER_RECEIVED + 1];
        while (true) {
            for (int i = 0; i < slots.length; i++) {
                slots[i] = seen.sumPerCpu(i, cpus);
            }
            if ((slots[CLIENT_CLOSES] >= 1 && slots[SERVER_CLOSES] >= 1) || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(1, slots[CLIENT_CLOSES], "the client's socket reached CLOSE once");
        assertEquals(1, slots[SERVER_CLOSES], "the server's socket reached CLOSE once");
        return slots;
    }

    private static void write(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static int read(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
            // blocking channel: loop until n bytes
        }
        return buf.position();
    }

    private static long le32(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
    }

    private static long le64(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static String source() throws IOException {
        try (InputStream in = KernelOffsetsBpfTest.class.getResourceAsStream("offsets-probe.bpf.c")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
