package io.tcptrace.kernel;

import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Tracer configurations for tests, built from the defaults one change at a time (each step copies). */
public final class TestConfig {
    private final TracerConfiguration config;

    private TestConfig(TracerConfiguration config) {
        this.config = config;
    }

    public static TestConfig defaults() {
        TracerConfiguration c = new TracerConfiguration();
        c.setCacheDir(TracerHarness.CACHE.toString());
        c.setHostName("test-host");
        return new TestConfig(c);
    }

    public TestConfig with(Consumer<TracerConfiguration> change) {
        TracerConfiguration c = config.copy();
        change.accept(c);
        return new TestConfig(c);
    }

    public TestConfig withExcludeOwnPid(boolean v) {
        return with(c -> c.setExcludeOwnPid(v));
    }

    public TestConfig withOnlyPids(Set<Long> v) {
        return with(c -> c.setOnlyPids(csv(v)));
    }

    public TestConfig withExcludePids(Set<Long> v) {
        return with(c -> c.setExcludePids(csv(v)));
    }

    public TestConfig withOnlyUids(Set<Long> v) {
        return with(c -> c.setUids(csv(v)));
    }

    public TestConfig withDestPorts(Set<Integer> v) {
        return with(c -> c.setDestPorts(csv(v)));
    }

    public TestConfig withIpVersion(int v) {
        return with(c -> c.setIpVersion(v == 0 ? "any" : Integer.toString(v)));
    }

    public TestConfig withTransport(Transport v) {
        return with(c -> c.setTransport(v));
    }

    public TestConfig withProbe(ProbeMode v) {
        return with(c -> c.setProbe(v));
    }

    public TestConfig withBufferPages(int v) {
        return with(c -> c.setBufferPages(v));
    }

    public TestConfig withBpfSource(String v) {
        return with(c -> c.setBpfSource(v));
    }

    public TracerConfiguration get() {
        return config.copy();
    }

    private static String csv(Set<? extends Number> v) {
        return v.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
