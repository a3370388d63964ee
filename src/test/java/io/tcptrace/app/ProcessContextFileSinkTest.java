package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.event.EventSchema;
import io.tcptrace.process.CgroupPaths;
import io.tcptrace.process.TestCgroup;
import io.tcptrace.process.TestProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * End to end: a short-lived program, run by sh with a unique argument inside a cgroup named like
 * a Docker container, connects three times and exits; its lines in the JSON Lines file, written
 * through the real routes/ YAML, name its executable, command line, parent, user, cgroup and
 * container.
 */
class ProcessContextFileSinkTest extends YamlRoutesTestSupport {
    /**
     * This test is about finding the context, not about the lookup budget (BoundedWaitTest covers
     * that): on a loaded machine a cgroup walk can take longer than the default 5 ms.
     */
    @Override
    protected java.util.Properties properties() {
        java.util.Properties p = super.properties();
        p.setProperty("tcptrace.process-lookup-budget-ms", "2000");
        return p;
    }

    static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected List<String> sinks() {
        return List.of("file");
    }

    /** One run; closing it removes its cgroup (after its lines are read: the path is looked up then). */
    record Run(TestCgroup dir, long shPid, int pid, String arg, int port, String containerId, String cgroup)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            dir.close();
        }
    }

    /** Runs the program in a fresh docker-like cgroup, connecting {@code n} times to a refused port. */
    static Run run(TestProgram program, int n) throws Exception {
        Path mount = CgroupPaths.findMount();
        assertNotNull(mount, "this host has no cgroup2 mount");
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        String id = HexFormat.of().formatHex(b);
        String path = "/system.slice/docker-" + id + ".scope";
        int port = refusedPort();
        String arg = "arg-" + UUID.randomUUID();
        TestCgroup cgroup = new TestCgroup(mount, path);
        try {
            // "; true": sh forks the program instead of exec'ing it, so sh is its parent
            TestProgram.Run r = TestProgram.sh(cgroup.enterCommand() + " && " + program.binary + " --connect " + port
                    + " " + n + " " + arg + "; true");
            r.process().waitFor();
            assertEquals(0, r.process().exitValue());
            return new Run(cgroup, r.process().pid(), r.pid(), arg, port, id, path);
        } catch (Exception | AssertionError e) {
            cgroup.close();
            throw e;
        }
    }

    /** The file's lines for {@code port}, once {@code n} are there (or after 5 s). */
    static List<JsonNode> await(Path file, int port, int n) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<JsonNode> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = new ArrayList<>();
            if (Files.exists(file)) {
                for (String line : FileSinkRouteTest.completeLines(file)) {
                    JsonNode e = JSON.readTree(line);
                    if (e.get("dest_port").asInt() == port) {
                        lines.add(e);
                    }
                }
            }
            if (lines.size() >= n) {
                return lines;
            }
            Thread.sleep(20);
        }
        return lines;
    }

    static List<String> names(JsonNode e) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    @Test
    void shortLivedProgramInAContainerCgroupHasItsContextInTheFile() throws Exception {
        try (TestProgram program = new TestProgram(); Run run = run(program, 3)) {
            List<JsonNode> lines = await(outputFile(), run.port(), 3);
            assertEquals(3, lines.size(), lines.toString());
            for (JsonNode e : lines) {
                List<String> names = names(e);
                assertEquals(EventSchema.fieldNames().stream().filter(names::contains).toList(), names,
                        "written in EventSchema's order");
                assertEquals(run.pid(), e.get("process_id").asInt());
                assertEquals(program.binary.toString(), e.get("process_path").asText());
                assertEquals(program.binary + " --connect " + run.port() + " 3 " + run.arg(), e.get("process").asText());
                assertEquals(run.shPid(), e.get("parent_process_id").asLong());
                assertEquals("sh", e.get("parent_process_name").asText());
                assertEquals("root", e.get("user").asText());
                assertEquals(run.cgroup(), e.get("cgroup").asText());
                assertEquals(run.containerId(), e.get("container_id").asText());
                assertFalse(e.has("service"), "a container scope is no service: " + e);
                assertFalse(e.has("pod_uid"), e.toString());
            }
        }
    }
}
