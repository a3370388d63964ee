package io.tcptrace.app;

import io.tcptrace.bcc.Libc;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands glibc's free heap memory back to the kernel every few seconds ({@code malloc_trim(0)}).
 * The JIT compiler's arenas, the Kafka and HTTP clients and the JDK's own native buffers free
 * memory in glibc's per-thread arenas, which keeps it resident: after a burst with three sinks,
 * 25-30 MB of the tracer's RSS. The JVM's own {@code -XX:TrimNativeHeapInterval} does the same,
 * but a JDK 17 before 17.0.9 (or 21.0.0) refuses to start with that option.
 */
final class NativeHeapTrim {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeapTrim.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private NativeHeapTrim() {
    }

    /** Starts the daemon thread, once per process; an interval of 0 or less turns it off. */
    static void start(long intervalMillis) {
        if (intervalMillis <= 0 || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Libc.malloc_trim(0);
                } catch (LinkageError | RuntimeException e) {
                    LOG.debug("malloc_trim unavailable: {}", e.toString());
                    return;
                }
            }
        }, "native-heap-trim");
        t.setDaemon(true);
        t.start();
    }
}
