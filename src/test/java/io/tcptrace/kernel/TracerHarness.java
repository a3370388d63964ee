package io.tcptrace.kernel;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Opens a real tracer and collects what it delivers; the test thread does the polling. probe=auto
 * becomes the test run's probe mode (-Dtcptrace.test.probe) unless the test asks for it {@link #exactly};
 * the waits are scaled by -Dtcptrace.test.timeScale.
 */
final class TracerHarness implements AutoCloseable {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    final List<ConnectionEvent> events = new ArrayList<>();
    final ConnectTracer tracer;

    TracerHarness(TestConfig config) {
        this(config, KernelTestSupport.probe());
    }

    /** {@code runMode} replaces probe=auto; null keeps it. */
    private TracerHarness(TestConfig config, ProbeMode runMode) {
        TracerConfiguration effective = config.get();
        if (effective.getProbe() == ProbeMode.AUTO && runMode != null) {
            effective.setProbe(runMode);
        }
        tracer = ConnectTracer.open(effective, events::addAll);
    }

    /** A tracer with exactly this config: probe=auto stays auto. */
    static TracerHarness exactly(TestConfig config) {
        return new TracerHarness(config, null);
    }

    /** Polls until an event matches or two (scaled) seconds pass; returns the matches. */
    List<ConnectionEvent> awaitMatching(Predicate<ConnectionEvent> match) {
        long deadline = System.nanoTime() + KernelTestSupport.scaled(2000) * 1_000_000L;
        while (System.nanoTime() < deadline) {
            tracer.poll(50);
            List<ConnectionEvent> found = events.stream().filter(match).toList();
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    /** Polls until {@code count} events match or three (scaled) seconds pass; returns the matches. */
    List<ConnectionEvent> awaitCount(int count, Predicate<ConnectionEvent> match) {
        long deadline = System.nanoTime() + KernelTestSupport.scaled(3000) * 1_000_000L;
        List<ConnectionEvent> found = List.of();
        while (System.nanoTime() < deadline && found.size() < count) {
            tracer.poll(50);
            found = events.stream().filter(match).toList();
        }
        tracer.poll(50);
        return events.stream().filter(match).toList();
    }

    /** Polls for a (scaled) while and returns everything matching: for asserting that nothing arrives. */
    List<ConnectionEvent> collectFor(long millis, Predicate<ConnectionEvent> match) {
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
