package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image archive run by a real OCI runtime: {@code umoci unpack} makes it a runc bundle;
 * the test gives it what the README's least-privilege variant gives (root in the container with
 * CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE only; the host's pid, network and UTS namespaces;
 * tracefs and the cgroup file system of the host; a host directory for /var/lib/tcptrace),
 * starts it with {@code runc run}, makes a connection on the host, reads its events with the
 * host process's context from the host directory, then stops it with SIGTERM. (Podman 4.3 on
 * these machines cannot start containers: crun refuses hybrid cgroups and runc's setrlimit is
 * refused; runc with a bundle without rlimits works.) Built by {@code ./tcptrace package image}.
 */
@Tag("package")
class ContainerImageTest {
    static final List<String> CAPABILITIES = List.of("CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE");
    /** linux/capability.h numbers of the three. */
    static final long CAPABILITY_MASK = (1L << 39) | (1L << 38) | (1L << 19);
    static final ObjectMapper JSON = new ObjectMapper();

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
        Path layout = Files.createDirectories(work.resolve("oci"));
        Commands.run("tar", "-xf", image.toString(), "-C", layout.toString());
        Path bundle = work.resolve("bundle");
        Commands.run("umoci", "unpack", "--image", layout + ":localhost/tcptrace:" + version, bundle.toString());
        Path state = Files.createDirectories(work.resolve("state"));
        int managementPort;
        try (ServerSocket s = new ServerSocket(0)) {
            managementPort = s.getLocalPort();
        }
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        assertEquals("[\"/usr/sbin/tcptrace-agent\"]", config.path("process").path("args").toString(),
                "the image's entrypoint");
        configure(config, state, managementPort);
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);

        String id = "tcptrace-test-" + ProcessHandle.current().pid();
        ProcessBuilder runc = new ProcessBuilder("runc", "run", "--bundle", bundle.toString(), id);
        try (TracerProcess tracer = TracerProcess.start(runc)) {
            tracer.awaitReady();
            long pid = JSON.readTree(Commands.run("runc", "state", id)).path("pid").asLong();
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
            Commands.exec("runc", "delete", "--force", id);
            // The root holds thousands of symlinks to /usr/src (the merged headers): JUnit warns of each.
            Commands.exec("rm", "-rf", bundle.toString());
        }
        assertTrue(Files.size(image) < 300_000_000L, "image archive " + Files.size(image) + " bytes, goal < 300 MB");
    }

    /**
     * The runtime settings of the README's least-privilege variant, over what umoci derived from
     * the image: no terminal and no rlimits (setrlimit is refused here), the capabilities, the
     * host's namespaces except mount and IPC, and the mounts.
     */
    private static void configure(ObjectNode config, Path state, int managementPort) {
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.remove("rlimits");
        ObjectNode caps = (ObjectNode) process.get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            ArrayNode list = caps.putArray(set);
            CAPABILITIES.forEach(list::add);
        }
        caps.putArray("inheritable");
        ((ArrayNode) process.get("env")).add("TCPTRACE_SINKS=file").add("CAMEL_MANAGEMENT_PORT=" + managementPort);

        ArrayNode namespaces = (ArrayNode) config.path("linux").get("namespaces");
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            if (Set.of("pid", "network", "uts").contains(namespaces.get(i).path("type").asText())) {
                namespaces.remove(i);
            }
        }
        config.remove("hostname");

        ArrayNode mounts = (ArrayNode) config.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            String dest = mounts.get(i).path("destination").asText();
            if (dest.equals("/sys/fs/cgroup") || dest.equals("/var/lib/tcptrace")) {
                mounts.remove(i);
            }
        }
        bind(mounts, "/sys/kernel/tracing", "/sys/kernel/tracing", "ro");
        bind(mounts, "/sys/fs/cgroup", "/sys/fs/cgroup", "ro");
        bind(mounts, state.toString(), "/var/lib/tcptrace", "rw");
    }

    private static void bind(ArrayNode mounts, String source, String destination, String mode) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination).put("type", "bind").put("source", source);
        m.putArray("options").add("rbind").add(mode);
    }
}
