package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.app.TracerProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image archive run by a real OCI runtime: {@code umoci unpack} makes it a runc bundle;
 * the test gives it what the README's least-privilege variant gives (root in the container with
 * CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE and CAP_NET_ADMIN only; the host's pid, network and UTS namespaces;
 * tracefs and the cgroup file system of the host; a host directory for /var/lib/tcptrace),
 * starts it with {@code runc run}, makes a connection on the host, reads its events with the
 * host process's context from the host directory, then stops it with SIGTERM. (Podman 4.3 on
 * these machines cannot start containers: crun refuses hybrid cgroups and runc's setrlimit is
 * refused; runc with a bundle without rlimits works.) Built by {@code ./tcptrace package image}.
 */
@Tag("package")
class ContainerImageTest {
    static final List<String> CAPABILITIES = List.of("CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE", "CAP_NET_ADMIN");
    /** linux/capability.h numbers of the three. */
    static final long CAPABILITY_MASK = (1L << 39) | (1L << 38) | (1L << 19) | (1L << 12);

    @TempDir
    static Path work;
    static Path image;
    static String version;

    @BeforeAll
    static void findImage() {
        KernelTestSupport.requireKernel();
        version = System.getProperty("tcptrace.version");
        image = Path.of(System.getProperty("tcptrace.home", "."), "target", "tcptrace-image-" + version + ".tar");
        assertTrue(Files.isRegularFile(image), "no " + image + ": run ./tcptrace package image");
    }

    @Test
    void runsWithLeastPrivilegeAndTracesTheHost() throws Exception {
        RuncBundle bundle = RuncBundle.unpack(image, version, work);
        assertEquals("[\"/usr/sbin/tcptrace-agent\"]", bundle.process().path("args").toString(), "the image's entrypoint");
        Path state = Files.createDirectories(work.resolve("state"));
        int managementPort;
        try (ServerSocket s = new ServerSocket(0)) {
            managementPort = s.getLocalPort();
        }
        // The README's least-privilege variant.
        bundle.capabilities(CAPABILITIES).hostNamespaces(Set.of("pid", "network", "uts"))
                .env(Map.of("TCPTRACE_SINKS", "file", "CAMEL_MANAGEMENT_PORT", Integer.toString(managementPort)))
                .bind("/sys/kernel/tracing", "/sys/kernel/tracing", true).bind("/sys/fs/cgroup", "/sys/fs/cgroup", true)
                .bind(state.toString(), "/var/lib/tcptrace", false);

        String id = "tcptrace-test-" + ProcessHandle.current().pid();
        try (TracerProcess tracer = TracerProcess.start(bundle.run(id))) {
            tracer.awaitReady();
            long pid = RuncBundle.pid(id);
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            long capEff = Long.parseLong(status.lines().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow()
                    .substring("CapEff:".length()).strip(), 16);
            assertEquals(CAPABILITY_MASK, capEff, "exactly the capabilities given to the container");
            assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")),
                    Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "pid")), "the host's pid namespace");

            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/observe/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(health.body().contains("\"status\":\"UP\""), health.body());
            // CAP_NET_ADMIN and the host's cgroup2 (under the bind of /sys/fs/cgroup): the DNS answer filter is linked
            assertTrue(tracer.logText().contains("cgroup ingress /sys/fs/cgroup"), tracer.logText());

            Path events = state.resolve("data/tcp-connect.jsonl");
            int port = EventsFile.connectOnce();
            JsonNode connect = EventsFile.await(events, "connect", port, tracer::logText);
            assertEquals(ProcessHandle.current().pid(), connect.path("process_id").asLong(), "a host process");
            assertEquals("java", connect.path("process_name").asText());
            assertEquals(InetAddress.getLocalHost().getHostName(), connect.path("host").asText(), "the host's name");
            EventsFile.await(events, "accept", port, tracer::logText);
            EventsFile.await(events, "close", port, tracer::logText);

            System.out.printf("image: %.1f MB compressed, ready %.2f s after runc run%n",
                    Files.size(image) / 1e6, tracer.secondsToReady());
            assertEquals(143, tracer.sigterm(), "runc passes SIGTERM on; the tracer's JVM ends with 143");
            assertTrue(tracer.logText().matches("(?s).*stopped after \\d+ events from the kernel, 0 lost.*"),
                    tracer.logText());
        } finally {
            bundle.delete(id);
        }
        assertTrue(Files.size(image) < 300_000_000L, "image archive " + Files.size(image) + " bytes, goal < 300 MB");
    }
}
