package io.tcptrace.names;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.BpfMap;
import io.tcptrace.bcc.BpfModule;
import io.tcptrace.kernel.BpfSources;
import io.tcptrace.kernel.KernelSupport;
import io.tcptrace.kernel.Transport;
import io.tcptrace.process.CgroupPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The kernel half of destination names: bpf/dns.bpf.c, compiled as text appended after
 * bpf/tcpconnect.bpf.c with these flags, linked to the cgroup2 root's ingress, read through
 * this counter. The connection tracer calls it; nothing here owns the module.
 */
public final class DnsProbes {
    static final String PROGRAM = "dns_answers";
    /** Index in tcpconnect.bpf.c's {@code counters}: DNS answers the ring buffer had no room for. */
    public static final int COUNTER_LOST_DNS = 6;
    /** Bytes of a DNS message copied at most: the EDNS size most resolvers now ask for (DNS flag day 2020). */
    public static final int MESSAGE_MAX = 1232;

    private DnsProbes() {
    }

    /** The BPF fragment shipped in the jar, to append after tcpconnect.bpf.c's text. */
    public static String source() {
        return BpfSources.fromJar("dns.bpf.c");
    }

    /** The -D flags for the fragment; the connection program must be built with -DTRANSPORT_RINGBUF. */
    public static List<String> cflags() {
        return List.of("-DDNS_ANSWERS", "-DDNS_MESSAGE_MAX=" + MESSAGE_MAX);
    }

    /**
     * Why this host cannot see DNS answers, or empty when it can: they share the ring buffer, the
     * program is a network filter (CAP_NET_ADMIN) on the cgroup2 root, which must be mounted.
     */
    public static Optional<String> missingHere(Transport transport) {
        if (transport != Transport.RINGBUF) {
            return Optional.of("DNS answers share the BPF ring buffer: use transport=ringbuf (Linux 5.8+)");
        }
        if (!KernelSupport.canAdminNetwork()) {
            return Optional.of("reading DNS answers takes a network filter, which needs CAP_NET_ADMIN: grant it"
                    + " (AmbientCapabilities= in the unit, securityContext.capabilities in the chart)");
        }
        Path root = CgroupPaths.findMount();
        if (root == null) {
            return Optional.of("no cgroup2 file system is mounted (the filter is linked to its root): mount one,"
                    + " for example mount -t cgroup2 none /sys/fs/cgroup/unified");
        }
        if (Files.exists(root.resolve("cgroup.events"))) {
            // the root cgroup alone has no cgroup.events: this is a cgroup namespace's view of a subtree
            return Optional.of("the cgroup2 mounted at " + root + " is not the host's root (a cgroup namespace?), so"
                    + " the filter would see this container's DNS only: mount the host's cgroup2 there (the chart"
                    + " mounts the host's /sys/fs/cgroup)");
        }
        return Optional.empty();
    }

    /** Links the answer filter of a module compiled with {@link #cflags} to the cgroup2 root. */
    public static void attach(BpfModule module) {
        Path root = CgroupPaths.findMount();
        if (root == null) {
            throw new BccException("no cgroup2 file system is mounted: the DNS answer filter has nowhere to go");
        }
        module.attachCgroupIngress(root.toString(), PROGRAM);
    }

    /** DNS answers the ring buffer refused, summed over CPUs. */
    public static long lostAnswers(BpfMap counters, int possibleCpus) {
        return counters.sumPerCpu(COUNTER_LOST_DNS, possibleCpus);
    }
}
