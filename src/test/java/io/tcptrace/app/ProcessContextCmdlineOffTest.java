package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.process.TestProgram;
import java.nio.file.Files;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * tcptrace.cmdline=false through the real routes: no line in the file has a {@code process}
 * field, nor any text of the command line, while the rest of the context is there. HEC and
 * Kafka send these same JSON bytes.
 */
class ProcessContextCmdlineOffTest extends YamlRoutesTestSupport {
    @Override
    protected List<String> sinks() {
        return List.of("file");
    }

    @Override
    protected Properties properties() {
        Properties p = new Properties();
        p.setProperty("tcptrace.cmdline", "false");
        return p;
    }

    @Test
    void noCommandLineAnywhere() throws Exception {
        try (TestProgram program = new TestProgram();
                ProcessContextFileSinkTest.Run run = ProcessContextFileSinkTest.run(program, 2)) {
            List<JsonNode> lines = ProcessContextFileSinkTest.await(outputFile(), run.port(), 2);
            assertEquals(2, lines.size(), lines.toString());
            for (JsonNode e : lines) {
                assertEquals(program.binary.toString(), e.get("process_path").asText());
                assertEquals(run.shPid(), e.get("parent_process_id").asLong());
                assertEquals(run.containerId(), e.get("container_id").asText());
            }
            List<String> all = Files.readAllLines(outputFile());
            assertTrue(all.size() >= 2);
            for (String line : all) {
                JsonNode e = ProcessContextFileSinkTest.JSON.readTree(line);
                assertFalse(e.has("process"), "tcptrace.cmdline=false: " + line);
                assertFalse(line.contains(run.arg()), "the argument must not appear: " + line);
            }
        }
    }
}
