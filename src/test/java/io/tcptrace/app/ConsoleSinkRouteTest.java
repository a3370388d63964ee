package io.tcptrace.app;

import static io.tcptrace.KernelTestSupport.connectFromChild;
import static io.tcptrace.KernelTestSupport.refusedPort;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console sink prints BCC tcpconnect's table for real kernel events. */
class ConsoleSinkRouteTest extends YamlRoutesTestSupport {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream originalOut = System.out;

    @Override
    protected List<String> sinks() {
        return List.of("console");
    }

    @Override
    protected void setupResources() throws Exception {
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        super.setupResources();
    }

    @AfterEach
    void restore() {
        System.setOut(originalOut);
    }

    @Test
    void printsHeadingThenOneRowPerConnect() throws Exception {
        int port = refusedPort();
        long pid = connectFromChild("127.0.0.1", port);
        String row = null;
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (row == null && System.nanoTime() < deadline) {
            row = captured.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.matches(".*\\s" + pid + "\\s.*") && l.contains(":" + port + " ")).findFirst()
                    .orElse(null);
            Thread.sleep(20);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("TIME         TYPE    PID     PROCESS" + " ".repeat(26) + "IP SOURCE"), out);
        assertTrue(row != null, "no row for pid " + pid + " in:\n" + out);
        assertTrue(row.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\s+connect\\s+" + pid + "\\s+/\\S*/bash\\s+4\\s+127\\.0\\.0\\.1:\\d+\\s+"
                + "127\\.0\\.0\\.1:" + port + "\\s+refused\\s+\\d+\\.\\d{3}"), row);
    }
}
