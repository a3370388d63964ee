package io.tcptrace;

import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import io.tcptrace.kernel.ProbeMode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared by the tests that load real BPF programs. Without root and libbcc they skip with the
 * reason, except under ./tcptrace test (-Dtcptrace.requireKernel=true), where they fail.
 *
 * <p>Two test properties let the same tests run on another kernel (./tcptrace test-kernels):
 * {@code -Dtcptrace.test.probe=tracepoint|kprobe}, the mode in which the kernel tests open their
 * tracers and bcc: endpoints (default tracepoint), and {@code -Dtcptrace.test.timeScale=N}, which
 * multiplies the tests' fixed waits (default 1; an emulated guest is about ten times slower).
 */
public final class KernelTestSupport {
    static {
        Native.register(KernelTestSupport.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private KernelTestSupport() {
    }

    private static native long syscall(long number);

    /** The probe mode of this test run: -Dtcptrace.test.probe, tracepoint unless set. */
    public static ProbeMode probe() {
        ProbeMode mode = ProbeMode.parse(System.getProperty("tcptrace.test.probe", "tracepoint"));
        if (mode == ProbeMode.AUTO) {
            throw new IllegalArgumentException("-Dtcptrace.test.probe must be tracepoint or kprobe, not auto");
        }
        return mode;
    }

    /** Outcome and connect latency exist in tracepoint mode only. */
    public static boolean tracepointMode() {
        return probe() == ProbeMode.TRACEPOINT;
    }

    /** A fixed wait of a test, multiplied by -Dtcptrace.test.timeScale. */
    public static long scaled(long millis) {
        return Math.round(millis * Double.parseDouble(System.getProperty("tcptrace.test.timeScale", "1")));
    }

    public static void requireKernel() {
        String missing = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            missing = "not running as root";
        } else if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libbcc.so.0"))
                && !Files.exists(Path.of("/usr/lib/aarch64-linux-gnu/libbcc.so.0"))
                && !Files.exists(Path.of("/usr/lib/libbcc.so.0"))) {
            missing = "libbcc.so.0 is not installed (package libbpfcc)";
        }
        if (missing == null) {
            return;
        }
        if (Boolean.getBoolean("tcptrace.requireKernel")) {
            fail("kernel test cannot run: " + missing + " (./tcptrace test requires root and libbcc)");
        }
        Assumptions.abort("kernel test skipped: " + missing);
    }

    /** The kernel thread id of the calling Java thread (SYS_gettid on x86_64 and arm64). */
    public static long gettid() {
        return syscall(Platform.isARM() ? 178 : 186);
    }

    public static String comm(long tid) throws IOException {
        return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
    }

    /** cgroup v2 id of this process: the inode of its cgroup directory. */
    public static long cgroupId() throws IOException {
        String line = Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
        Path dir = Path.of("/sys/fs/cgroup" + line.substring(3));
        return (Long) Files.getAttribute(dir, "unix:ino");
    }

    /** A local port with nothing listening, so a connect to it is refused. */
    public static int refusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Connects from an explicitly bound source port, returns that port; the connect is expected to be refused. */
    public static int connectRefusedFromBoundPort(String address, int port) throws IOException {
        InetAddress addr = InetAddress.getByName(address);
        try (SocketChannel ch = openBoundToAnotherPort(addr, port)) {
            int sport = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            try {
                ch.connect(new InetSocketAddress(addr, port));
                fail("connect to " + address + ":" + port + " was expected to be refused");
            } catch (java.net.ConnectException expected) {
                // refused: the kernel went CLOSE -> SYN_SENT -> CLOSE
            }
            return sport;
        }
    }

    /**
     * A socket bound to a kernel-chosen port of {@code addr} other than {@code port}: bound to the
     * port it connects to, it would connect to itself (TCP simultaneous open), not be refused.
     * bind(0) and refusedPort() draw from the same range, so in thousands of connects that happens.
     */
    static SocketChannel openBoundToAnotherPort(InetAddress addr, int port) throws IOException {
        while (true) {
            SocketChannel ch = SocketChannel.open();
            ch.bind(new InetSocketAddress(addr, 0));
            if (((InetSocketAddress) ch.getLocalAddress()).getPort() != port) {
                return ch;
            }
            ch.close();
        }
    }

    /** Connects without binding (the kernel picks the port after SYN_SENT); refused. */
    public static void connectRefused(String address, int port) throws IOException {
        try (SocketChannel ch = SocketChannel.open()) {
            ch.connect(new InetSocketAddress(InetAddress.getByName(address), port));
            fail("connect to " + address + ":" + port + " was expected to be refused");
        } catch (java.net.ConnectException expected) {
            // refused
        }
    }

    /** Counts this process's open fds of a kind, e.g. "bpf-prog", "bpf-map", "[perf_event]". */
    public static long openFds(String kind) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains(kind);
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    /** Runs bash's /dev/tcp connect in a child process; returns the child's pid. */
    public static long connectFromChild(String address, int port) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port + " || true")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        return p.pid();
    }

    /**
     * Makes connects to {@code full} (a listener with backlog 1, whose accept queue the kernel
     * fills with two) until {@code count} of them are left in SYN_SENT, in the order they were
     * made, each from a source port bound before its SYN. Every channel opened is added to {@code all}.
     */
    public static List<SocketChannel> stuckInSynSent(ServerSocket full, int count, List<SocketChannel> all)
            throws Exception {
        List<SocketChannel> stuck = new ArrayList<>();
        for (int i = 0; i < count + 6 && stuck.size() < count; i++) {
            SocketChannel c = SocketChannel.open();
            all.add(c);
            c.configureBlocking(false);
            c.bind(new InetSocketAddress("127.0.0.1", 0));   // the source port, known before the SYN
            if (!c.connect(full.getLocalSocketAddress())) {
                Thread.sleep(200);
                if (!c.finishConnect()) {
                    stuck.add(c);
                }
            }
        }
        if (stuck.size() != count) {
            fail("expected " + count + " connects left in SYN_SENT by the full accept queue, got " + stuck.size());
        }
        return stuck;
    }

    public static void closeAll(List<SocketChannel> channels) throws Exception {
        for (SocketChannel c : channels) {
            c.close();
        }
    }

    /**
     * The LLVM major version libbcc.so.0 depends on, as ldd lists it (libLLVM-N or libLLVM.so.N):
     * found without the product's own reading of the process's mappings. -1 when ldd names none.
     */
    public static int libbccLlvmByLdd() throws IOException, InterruptedException {
        Path libbcc = Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib")
                .map(dir -> Path.of(dir, "libbcc.so.0")).filter(Files::exists).findFirst().orElseThrow();
        Process ldd = new ProcessBuilder("ldd", libbcc.toString()).redirectErrorStream(true).start();
        String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (ldd.waitFor() != 0) {
            fail("ldd " + libbcc + ": " + out);
        }
        Matcher m = Pattern.compile("libLLVM(?:-|\\.so\\.)(\\d+)").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
