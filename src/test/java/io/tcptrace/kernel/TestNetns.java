package io.tcptrace.kernel;

import io.tcptrace.process.TestProgram;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real network namespace made with {@code ip netns add}, loopback up and nothing else, as a
 * container's would be on its own; removed at close.
 */
final class TestNetns implements AutoCloseable {
    final String name;

    TestNetns(String tag) throws IOException, InterruptedException {
        name = "tcptrace-" + tag + "-" + ThreadLocalRandom.current().nextInt(1_000_000);
        run("ip", "netns", "add", name);
        run("ip", "-n", name, "link", "set", "lo", "up");
    }

    /** The command prefix that runs a program inside. */
    String exec() {
        return "ip netns exec " + name;
    }

    /** The namespace's inode number: what /proc/PID/ns/net of its processes and the kernel's net.ns.inum say. */
    long inode() throws IOException {
        return ((Number) Files.getAttribute(Path.of("/run/netns", name), "unix:ino")).longValue();
    }

    /** Runs the test program's {@code --connect-to address port} inside: a connect, 10 bytes, a close. */
    void connect(TestProgram client, String address, int port) throws IOException, InterruptedException {
        run("ip", "netns", "exec", name, client.binary.toString(), "--connect-to", address, Integer.toString(port));
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("ip", "netns", "del", name);
    }

    /** Closes all, the first failure thrown at the end. */
    static void closeAll(List<? extends AutoCloseable> all) throws Exception {
        Exception first = null;
        for (AutoCloseable c : new ArrayList<>(all)) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
