package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectRefused;
import static io.tcptrace.KernelTestSupport.refusedPort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/**
 * Opens {@link YamlRoutesTestSupport} to sink tests in other packages, with the test JVM as the
 * traffic source: its connects to one port nothing listens on are traced, all else is filtered
 * in the kernel.
 */
public abstract class YamlRoutesAccess extends YamlRoutesTestSupport {
    protected static final long PID = ProcessHandle.current().pid();
    /** The fields of a tracepoint-mode connect event, in the order they are written (schema 2). */
    public static final List<String> CONNECT_FIELDS = List.of("time", "event_type", "action", "direction", "transport",
            "ip_version", "src_ip", "src_port", "dest_ip", "dest_port", "process_id", "thread_id", "process_name",
            "user_id", "cgroup_id", "host", "outcome", "connect_latency_us", "probe", "vendor_product",
            "schema_version");

    // No initializer: CamelTestSupport asks for properties before field initializers run.
    private int port;

    @Override
    protected abstract List<String> sinks();

    /** Traces only this JVM's connects to {@link #port()}; the route's self filter is off. */
    @Override
    protected Properties properties() {
        Properties p = new Properties();
        p.setProperty("tcptrace.kernel-exclude-own-pid", "false");
        p.setProperty("tcptrace.self-pid", "-1");
        p.setProperty("tcptrace.only-pids", Long.toString(PID));
        p.setProperty("tcptrace.dest-ports", Integer.toString(port()));
        return p;
    }

    @Override
    protected Path outputFile() {
        return super.outputFile();
    }

    /** The destination port of this test's connects, so other traffic on the host is ignored. */
    protected int port() {
        if (port == 0) {
            try {
                port = refusedPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return port;
    }

    /** Makes {@code n} connects from this JVM, one after the other, each refused. */
    protected void connects(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            connectRefused("127.0.0.1", port());
        }
    }

    protected static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
