package io.tcptrace.kernel;

import java.util.Set;

/**
 * Everything the kernel side is loaded with. Validated on construction so a bad value fails
 * before anything touches the kernel.
 *
 * @param probe          attach mode
 * @param transport      event transport
 * @param bufferPages    pages (4 KiB) of event buffer in total; a power of two. The perf transport
 *                       splits it across online CPUs.
 * @param pendingMax     connects that can be in flight (between SYN sent and outcome) at once
 * @param excludeOwnPid  drop the tracer's own connects in the kernel
 * @param excludePids    processes (tgid) to ignore
 * @param onlyPids       if not empty, only these processes
 * @param onlyUids       if not empty, only these users
 * @param destPorts      if not empty, only connects to these ports
 * @param ipVersion      0 for both, 4 or 6
 * @param bpfSource      BPF C source file; null for the copy of bpf/tcpconnect.bpf.c inside the jar
 */
public record TracerConfig(ProbeMode probe, Transport transport, int bufferPages, int pendingMax,
        boolean excludeOwnPid, Set<Long> excludePids, Set<Long> onlyPids, Set<Long> onlyUids,
        Set<Integer> destPorts, int ipVersion, String bpfSource) {

    public static final int DEFAULT_BUFFER_PAGES = 4096;
    public static final int DEFAULT_PENDING_MAX = 65536;

    public TracerConfig {
        if (bufferPages < 2 || Integer.bitCount(bufferPages) != 1) {
            throw new IllegalArgumentException("bufferPages=" + bufferPages
                    + " is not a power of two: use 64, 1024, 4096 (16 MiB, the default), 16384...");
        }
        if (pendingMax < 1) {
            throw new IllegalArgumentException("pendingMax=" + pendingMax + " must be at least 1");
        }
        if (ipVersion != 0 && ipVersion != 4 && ipVersion != 6) {
            throw new IllegalArgumentException("ipVersion=" + ipVersion + " is not valid: use any, 4 or 6");
        }
        for (int port : destPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("destination port " + port + " is out of range 1-65535");
            }
        }
        excludePids = Set.copyOf(excludePids);
        onlyPids = Set.copyOf(onlyPids);
        onlyUids = Set.copyOf(onlyUids);
        destPorts = Set.copyOf(destPorts);
    }

    /** The defaults: auto probe and transport, 16 MiB buffer, own PID excluded, no other filter. */
    public static TracerConfig defaults() {
        return new TracerConfig(ProbeMode.AUTO, Transport.AUTO, DEFAULT_BUFFER_PAGES, DEFAULT_PENDING_MAX, true,
                Set.of(), Set.of(), Set.of(), Set.of(), 0, null);
    }

    public TracerConfig withProbe(ProbeMode value) {
        return new TracerConfig(value, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                onlyUids, destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withTransport(Transport value) {
        return new TracerConfig(probe, value, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                onlyUids, destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withBufferPages(int value) {
        return new TracerConfig(probe, transport, value, pendingMax, excludeOwnPid, excludePids, onlyPids, onlyUids,
                destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withExcludeOwnPid(boolean value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, value, excludePids, onlyPids, onlyUids,
                destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withExcludePids(Set<Long> value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, value, onlyPids, onlyUids,
                destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withOnlyPids(Set<Long> value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, value,
                onlyUids, destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withOnlyUids(Set<Long> value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                value, destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withDestPorts(Set<Integer> value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                onlyUids, value, ipVersion, bpfSource);
    }

    public TracerConfig withIpVersion(int value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                onlyUids, destPorts, value, bpfSource);
    }

    public TracerConfig withPendingMax(int value) {
        return new TracerConfig(probe, transport, bufferPages, value, excludeOwnPid, excludePids, onlyPids, onlyUids,
                destPorts, ipVersion, bpfSource);
    }

    public TracerConfig withBpfSource(String value) {
        return new TracerConfig(probe, transport, bufferPages, pendingMax, excludeOwnPid, excludePids, onlyPids,
                onlyUids, destPorts, ipVersion, value);
    }
}
