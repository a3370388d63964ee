package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** routes/tcptrace-stats.yaml runs exactly when the splunk sink is chosen and an interval is set. */
class StatsRouteSwitchTest {
    private static final Path ROUTES = Path.of(System.getProperty("tcptrace.home", "."), "routes");

    @Test
    void onWithTheSplunkSinkOnly() {
        Properties defaults = new Properties();
        defaults.setProperty("tcptrace.stats-interval-ms", "60000");
        assertTrue(TcptraceMain.statsEnabled(SinkSelection.resolve(ROUTES, "file,splunk"), defaults));
        assertFalse(TcptraceMain.statsEnabled(SinkSelection.resolve(ROUTES, "console,file,kafka"), defaults));
        defaults.setProperty("tcptrace.stats-interval-ms", "0");
        assertFalse(TcptraceMain.statsEnabled(SinkSelection.resolve(ROUTES, "splunk"), defaults), "0 turns it off");
    }
}
