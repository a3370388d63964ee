package io.tcptrace.kernel;

import io.tcptrace.event.ConnectionEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Opens a real tracer and collects what it delivers; the test thread does the polling. */
final class TracerHarness implements AutoCloseable {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache");

    final List<ConnectionEvent> events = new ArrayList<>();
    final ConnectTracer tracer;

    TracerHarness(TestConfig config) {
        tracer = ConnectTracer.open(config.get(), events::addAll);
    }

    /** Polls until an event matches or two seconds pass; returns the matches. */
    List<ConnectionEvent> awaitMatching(Predicate<ConnectionEvent> match) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            tracer.poll(50);
            List<ConnectionEvent> found = events.stream().filter(match).toList();
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    /** Polls for a while and returns everything matching: for asserting that nothing arrives. */
    List<ConnectionEvent> collectFor(long millis, Predicate<ConnectionEvent> match) {
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
