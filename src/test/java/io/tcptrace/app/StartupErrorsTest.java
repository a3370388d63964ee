package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input stops start-up with exit status 1 and one line naming the cause and the fix. */
class StartupErrorsTest {
    static final Path ROUTES = YamlRoutesTestSupport.ROUTES;

    @TempDir
    Path tmp;

    @Test
    void unknownSink() {
        String line = startFails(Map.of("tcptrace.sinks", "console,nope"));
        assertTrue(line.startsWith("tcptrace: unknown sink 'nope' in tcptrace.sinks: there is no "), line);
        assertTrue(line.matches(".*available: console, file(, [a-z]+)*"), line);
    }

    @Test
    void managementPortInUse() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            String line = startFails(Map.of("camel.management.port", Integer.toString(taken.getLocalPort())));
            assertTrue(line.startsWith("tcptrace: the metrics and health port 127.0.0.1:" + taken.getLocalPort()
                    + " is in use"), line);
            assertTrue(line.contains("set CAMEL_MANAGEMENT_PORT"), line);
        }
    }

    @Test
    void brokenYaml() throws Exception {
        Path dir = routesWith("tcp-connect.yaml", "- route:\n    from: [unclosed\n");
        String line = startFails(Map.of("tcptrace.routes-dir", dir.toString(), "tcptrace.sinks", "console"));
        assertTrue(line.contains("tcp-connect.yaml"), line);
    }

    @Test
    void unknownEndpointOption() throws Exception {
        String real = Files.readString(ROUTES.resolve("tcp-connect.yaml"));
        Path dir = routesWith("tcp-connect.yaml", real.replace("        probe: ", "        bogusOption: 1\n        probe: "));
        String line = startFails(Map.of("tcptrace.routes-dir", dir.toString(), "tcptrace.sinks", "console"));
        assertTrue(line.contains("bogusOption"), line);
    }

    @Test
    void unwritableOutputPath() {
        String line = startFails(Map.of("tcptrace.sinks", "file", "tcptrace.file", "/proc/tcptrace/out.jsonl"));
        assertTrue(line.startsWith("tcptrace: file sink cannot write /proc/tcptrace/out.jsonl"), line);
        assertTrue(line.endsWith("set TCPTRACE_FILE to a writable path"), line);
    }

    /** Settings that were accepted and could not work: each refused at start with one line naming it and its range. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "splunk.batch-events|0|maxBatchEvents=0 is out of range 1 to 100000: set splunk.batch-events or kafka.batch-events (SPLUNK_BATCH_EVENTS, KAFKA_BATCH_EVENTS) within it",
        "splunk.batch-events|-1|maxBatchEvents=-1 is out of range 1 to 100000",
        "splunk.batch-bytes|0|maxBatchBytes=0 is out of range 1024 to 1073741824",
        "splunk.linger-ms|-5|lingerMillis=-5 is out of range 0 to 60000",
        "splunk.response-timeout-ms|-1|splunk.response-timeout-ms (SPLUNK_RESPONSE_TIMEOUT_MS)=-1 is out of range 1 to 86400000 (milliseconds)",
        "tcptrace.uids|-5|uids=-5: -5 is out of range 0 to 4294967294",
        "tcptrace.exclude-pids|0|excludePids=0: 0 is out of range 1 to 4194304",
        "tcptrace.buffer-pages|abc|tcptrace.buffer-pages (TCPTRACE_BUFFER_PAGES)=abc is not a whole number: the default is 8192",
        "tcptrace.native-trim-interval-ms|-1|tcptrace.native-trim-interval-ms (TCPTRACE_NATIVE_TRIM_INTERVAL_MS)=-1 is out of range 0 (off) to 3600000 (milliseconds)",
        "splunk.connect-timeout-ms|5s|splunk.connect-timeout-ms (SPLUNK_CONNECT_TIMEOUT_MS)=5s is not a whole number",
        "splunk.connect-timeout-ms|-1|splunk.connect-timeout-ms (SPLUNK_CONNECT_TIMEOUT_MS)=-1 is out of range 1 to 86400000 (milliseconds)",
        "tcptrace.dest-host|maybe|destHost=maybe is not one of auto, true, false",
        "tcptrace.dest-host-cache-entries|0|destHostCacheEntries=0 is out of range: use 1 to 4194304 addresses",
        "tcptrace.dest-host-ttl-max|0|destHostTtlMax=0 is out of range: use 1 to 604800 seconds"})
    void aSettingOutOfItsRangeIsNamedWithTheRange(String setting, String value, String message) {
        String line = startFails(Map.of("tcptrace.sinks", "splunk", "splunk.hec-url", "http://127.0.0.1:9",
                "splunk.hec-token", "00000000-0000-0000-0000-000000000000", "splunk.spool-dir",
                tmp.resolve("spool").toString(), setting, value));
        assertTrue(line.startsWith("tcptrace: ") && line.contains(message), line);
    }

    @Test
    void theKubernetesApiWithoutANodeName() {
        String line = startFails(Map.of("tcptrace.sinks", "console", "tcptrace.k8s.api", "true"));
        assertEquals("tcptrace: kubernetesApi=true needs this node's name: set tcptrace.k8s.node-name"
                + " (TCPTRACE_K8S_NODE_NAME, from the downward API's spec.nodeName)", line);
    }

    /** splunk.host was replaced by tcptrace.host: a value left in it must not be dropped without a word. */
    @Test
    void theRenamedSplunkHostSettingIsNamedWithItsReplacement() {
        String line = startFails(Map.of("tcptrace.sinks", "console", "splunk.host", "web-1"));
        assertEquals("tcptrace: splunk.host (SPLUNK_HOST) is now tcptrace.host (TCPTRACE_HOST), which names the host in"
                + " the events and in Splunk alike: set TCPTRACE_HOST instead", line);
    }

    @Test
    void aDestinationNameTtlFloorAboveItsCeiling() {
        String line = startFails(Map.of("tcptrace.sinks", "console", "tcptrace.dest-host-ttl-min", "100",
                "tcptrace.dest-host-ttl-max", "50"));
        assertEquals("tcptrace: destHostTtlMin=100 is above destHostTtlMax=50: the TTL floor must not exceed its ceiling",
                line);
    }

    @Test
    void unknownProbeMode() {
        String line = startFails(Map.of("tcptrace.sinks", "console", "tcptrace.probe", "kprob"));
        assertEquals("tcptrace: unknown probe mode 'kprob': use auto, tracepoint or kprobe", line);
    }

    @Test
    void bufferNotAPowerOfTwo() {
        String line = startFails(Map.of("tcptrace.sinks", "console", "tcptrace.buffer-pages", "1000"));
        assertTrue(line.contains("bufferPages=1000 is not a power of two"), line);
    }

    /** probe=kprobe: one clear line where the kernel has no kprobes; where it has them, it starts (no skip). */
    @Test
    void kprobeModeStartsOrFailsWithOneClearLine() throws Exception {
        KernelTestSupport.requireKernel();
        if (io.tcptrace.kernel.KernelSupport.hasKprobes()) {
            try (TracerProcess tracer = TracerProcess.start(Map.of("TCPTRACE_SINKS", "console",
                    "TCPTRACE_PROBE", "kprobe"))) {
                assertTrue(tracer.log().stream().anyMatch(l -> l.contains("attached [")
                        && l.contains("kprobe tcp_v4_connect")), tracer.logText());
                tracer.sigterm();
            }
            return;
        }
        String line = startFails(Map.of("tcptrace.sinks", "console", "tcptrace.probe", "kprobe"));
        assertTrue(line.contains("CONFIG_KPROBES") && line.endsWith("use probe=tracepoint (probe=auto picks it where "
                + "the kernel has it)"), line);
    }

    /**
     * Environment overrides under a Turkish locale, where "sinks".toUpperCase() is "SİNKS": the
     * child runs in an empty directory, so if TCPTRACE_ROUTES_DIR and TCPTRACE_SINKS were not
     * read it would fail on the missing default routes/ instead of naming the unknown sink.
     */
    @Test
    void environmentOverridesAreReadUnderATurkishLocale() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("cwd"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.language=tr", "-Duser.country=TR", "-cp", System.getProperty("java.class.path"),
                TcptraceMain.class.getName()).directory(empty.toFile()).redirectErrorStream(true);
        pb.environment().put("TCPTRACE_ROUTES_DIR", ROUTES.toString());
        pb.environment().put("TCPTRACE_SINKS", "console,nope");
        pb.environment().put("CAMEL_MANAGEMENT_PORT", "0");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), out);
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("tcptrace: unknown sink 'nope' in tcptrace.sinks"), out);
    }

    private Path routesWith(String name, String content) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("routes"));
        for (String f : List.of("tcp-connect.yaml", "sink-console.yaml")) {
            Files.copy(ROUTES.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve(name), content);
        return dir;
    }

    /** Runs the application with these settings; returns the one "tcptrace:" line it printed. */
    private String startFails(Map<String, String> settings) {
        settings.forEach(System::setProperty);
        if (!settings.containsKey("tcptrace.routes-dir")) {
            System.setProperty("tcptrace.routes-dir", ROUTES.toString());
        }
        System.setProperty("tcptrace.cache-dir", System.getProperty("java.io.tmpdir") + "/tcptrace-test-cache");
        if (!settings.containsKey("camel.management.port")) {
            System.setProperty("camel.management.port", "0"); // never collide with a tracer running here
        }
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TcptraceMain.run());
        } finally {
            System.setErr(err);
            settings.keySet().forEach(System::clearProperty);
            System.clearProperty("tcptrace.routes-dir");
            System.clearProperty("tcptrace.cache-dir");
            System.clearProperty("camel.management.port");
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        System.err.print(out);
        assertEquals(1, status, out);
        List<String> lines = out.lines().filter(l -> l.startsWith("tcptrace: ")).toList();
        assertEquals(1, lines.size(), "exactly one error line in:\n" + out);
        assertTrue(!out.contains("\tat "), "no stack trace in:\n" + out);
        return lines.get(0);
    }
}
