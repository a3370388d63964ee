package io.tcptrace.splunk.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Dashboard Studio view validated against the schema Splunk publishes on npm
 * ({@code @splunk/dashboard-definition}: its defaultSchema, with the view's layout moved unchanged
 * into one tab, since that schema describes the tabbed layout of Splunk 9.4+), and against a
 * schema of the data source types built with the package's createSchemaBasedOnDicts (the rule
 * for ds.chain is this project's), with ajv, by src/test/node/validate-studio.js under node. ./tcptrace test installs both (scripts/setup.sh --tests); there a missing one fails the
 * test, elsewhere it skips with the reason.
 */
class DashboardStudioSchemaTest {
    private static final Path VALIDATOR = SplunkAppTest.HOME.resolve(".tools/dashboard-definition/node_modules");
    private static final Path SCRIPT = SplunkAppTest.HOME.resolve("src/test/node/validate-studio.js");

    @Test
    void theStudioViewIsValidForSplunksSchema() throws Exception {
        assertEquals("valid", validate(definition()).strip());
    }

    /** The check can fail: a chain that names no base search is refused. */
    @Test
    void aChainWithoutItsBaseSearchIsRefused() throws Exception {
        String broken = definition().replaceFirst("\"extend\": \"ds_events_time\",", "");
        String out = validate(broken);
        assertTrue(out.contains("must have required property 'extend'"), out);
    }

    private static String definition() throws Exception {
        String view = Files.readString(SplunkAppTest.VIEWS.resolve("tcptrace_overview.xml"));
        Matcher m = Pattern.compile("<definition><!\\[CDATA\\[(.*)\\]\\]></definition>", Pattern.DOTALL).matcher(view);
        assertTrue(m.find(), "the view has a definition");
        return m.group(1);
    }

    private static String validate(String definition) throws Exception {
        requireValidator();
        Path file = Files.createTempFile("studio", ".json");
        try {
            Files.writeString(file, definition);
            ProcessBuilder pb = new ProcessBuilder("node", SCRIPT.toString(), file.toString()).redirectErrorStream(true);
            pb.environment().put("NODE_PATH", VALIDATOR.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node did not finish");
            return out;
        } finally {
            Files.delete(file);
        }
    }

    private static void requireValidator() throws Exception {
        String missing = null;
        if (!Files.isDirectory(VALIDATOR.resolve("@splunk/dashboard-definition"))) {
            missing = "@splunk/dashboard-definition is not in " + VALIDATOR + " (scripts/setup.sh --tests fetches it)";
        } else {
            try {
                if (new ProcessBuilder("node", "--version").start().waitFor() != 0) {
                    missing = "node does not run";
                }
            } catch (java.io.IOException e) {
                missing = "node is not installed (scripts/setup.sh --tests installs it)";
            }
        }
        if (missing == null) {
            return;
        }
        if (Boolean.getBoolean("tcptrace.requireKernel")) {
            fail("the dashboard schema test cannot run: " + missing);
        }
        Assumptions.abort(missing);
    }
}
