package io.tcptrace.kernel;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Opens a real tracer and collects what it delivers; the test thread does the polling. A config
 * that leaves the probe on auto gets the test run's mode (-Dtcptrace.test.probe); waits are scaled
 * by -Dtcptrace.test.timeScale.
 */
final class TracerHarness implements AutoCloseable {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    final List<ConnectEvent> events = new ArrayList<>();
    final ConnectTracer tracer;

    TracerHarness(TracerConfig config) {
        this(config, KernelTestSupport.probe());
    }

    /** {@code runMode} replaces probe=auto; null keeps it. */
    private TracerHarness(TracerConfig config, ProbeMode runMode) {
        TracerConfig effective = config.probe() == ProbeMode.AUTO && runMode != null ? config.withProbe(runMode) : config;
        tracer = ConnectTracer.open(effective, CACHE, "test-host", events::addAll);
    }

    /** A tracer with exactly this config: probe=auto stays auto. */
    static TracerHarness exactly(TracerConfig config) {
        return new TracerHarness(config, null);
    }

    /** Polls until an event matches or two (scaled) seconds pass; returns the matches. */
    List<ConnectEvent> awaitMatching(Predicate<ConnectEvent> match) {
        long deadline = System.nanoTime() + KernelTestSupport.scaled(2000) * 1_000_000L;
        while (System.nanoTime() < deadline) {
            tracer.poll(50);
            List<ConnectEvent> found = events.stream().filter(match).toList();
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    /** Polls for a (scaled) while and returns everything matching: for asserting that nothing arrives. */
    List<ConnectEvent> collectFor(long millis, Predicate<ConnectEvent> match) {
        long deadline = System.nanoTime() + KernelTestSupport.scaled(millis) * 1_000_000L;
        while (System.nanoTime() < deadline) {
            tracer.poll(20);
        }
        return events.stream().filter(match).toList();
    }

    @Override
    public void close() {
        tracer.close();
    }
}
