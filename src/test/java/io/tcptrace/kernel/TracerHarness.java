package io.tcptrace.kernel;

import io.tcptrace.event.ConnectEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Opens a real tracer and collects what it delivers; the test thread does the polling. */
final class TracerHarness implements AutoCloseable {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    final List<ConnectEvent> events = new ArrayList<>();
    final ConnectTracer tracer;

    TracerHarness(TracerConfig config) {
        tracer = ConnectTracer.open(config, CACHE, "test-host", events::addAll);
    }

    /** Polls until an event matches or two seconds pass; returns the matches. */
    List<ConnectEvent> awaitMatching(Predicate<ConnectEvent> match) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            tracer.poll(50);
            List<ConnectEvent> found = events.stream().filter(match).toList();
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    /** Polls for a while and returns everything matching: for asserting that nothing arrives. */
    List<ConnectEvent> collectFor(long millis, Predicate<ConnectEvent> match) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
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
