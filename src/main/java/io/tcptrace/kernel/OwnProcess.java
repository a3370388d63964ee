package io.tcptrace.kernel;

import io.tcptrace.bcc.CallerTgid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tracer's own process as the kernel sees it, and whether this process's /proc speaks the
 * kernel's pids. Both differ from the JVM's view when tcptrace runs in a container with a pid
 * namespace of its own: the kernel filter and the route must drop its own connections (its posts
 * to Splunk and Kafka would feed back into themselves), and a pid from an event must not be
 * looked up in a /proc where it names another process.
 */
public final class OwnProcess {
    private static final Logger LOG = LoggerFactory.getLogger(OwnProcess.class);
    /** The initial pid namespace's inode (PROC_PID_INIT_INO), the same on every kernel. */
    static final String INITIAL_PID_NAMESPACE = "pid:[4026531836]";

    private static volatile long tgid;
    private static volatile boolean kernelSaid;

    private OwnProcess() {
    }

    /**
     * This process's id in the kernel's events: asked of the kernel once ({@link CallerTgid}); where
     * it cannot answer, the JVM's pid, which is right in the initial pid namespace (one WARN otherwise).
     */
    public static long tgid() {
        long known = tgid;
        if (known == 0) {
            synchronized (OwnProcess.class) {
                if (tgid == 0) {
                    tgid = resolve();
                }
                known = tgid;
            }
        }
        return known;
    }

    private static long resolve() {
        long jvm = ProcessHandle.current().pid();
        OptionalLong kernel;
        try {
            kernel = CallerTgid.query();
        } catch (RuntimeException | LinkageError e) {
            kernel = OptionalLong.empty();   // no libbcc or no privilege: the tracer's start says so itself
        }
        if (kernel.isPresent()) {
            kernelSaid = true;
            if (kernel.getAsLong() != jvm) {
                LOG.info("tcptrace runs in a pid namespace of its own: it is process {} there and {} in the kernel's"
                        + " events; its own connections are excluded as {}", jvm, kernel.getAsLong(), kernel.getAsLong());
            }
            return kernel.getAsLong();
        }
        if (!inInitialPidNamespace()) {
            LOG.warn("tcptrace runs in a pid namespace of its own and this kernel cannot tell it its pid as events "
                    + "carry it (that needs Linux 5.10+): its own connections may be traced; run it in the host's pid "
                    + "namespace (docker/podman --pid=host, Kubernetes hostPID: true)");
        }
        return jvm;
    }

    /** True unless /proc/self/ns/pid names a namespace other than the initial one (unreadable counts as initial). */
    static boolean inInitialPidNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().equals(INITIAL_PID_NAMESPACE);
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }

    /**
     * True when this process's /proc shows processes under the kernel's pids: /proc/self is the
     * kernel's pid of this process. False in a container with its own pid namespace and its own /proc.
     */
    public static boolean procShowsKernelPids() {
        long kernelPid = tgid();
        if (!kernelSaid) {
            return inInitialPidNamespace();   // without the kernel's answer /proc/self would match the guess
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc/self")).toString().equals(Long.toString(kernelPid));
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }
}
