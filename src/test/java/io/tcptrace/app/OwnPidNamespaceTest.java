package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.process.TestProgram;
import io.tcptrace.splunk.StrictHecServer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tracer in a pid namespace of its own, as in a container without the host's pids
 * ({@code unshare --pid --fork --mount-proc}: it is process 1 or so there), sending to Splunk. Its
 * posts are connections of its own: none may come back as an event, whether the kernel drops them
 * (the default) or, with the kernel's exclusion off, the route's filter does. Both must know the
 * tracer by the pid the kernel gives it, not by getpid(). ({@code --kill-child}: a failed test's
 * tracer goes with unshare.)
 */
class OwnPidNamespaceTest {
    private static final String TOKEN = "6c1f1e0a-7d3e-4a8b-9f2c-1b2c3d4e5f60";
    private static final Pattern KERNEL_PID = Pattern.compile("it is process (\\d+) there and (\\d+) in the kernel's events");

    @ParameterizedTest(name = "kernel exclusion {0}")
    @ValueSource(booleans = {true, false})
    void noEventOfItsOwnPostsToSplunk(boolean kernelExcludes) throws Exception {
        KernelTestSupport.requireKernel();
        int refused = KernelTestSupport.refusedPort();
        try (StrictHecServer hec = StrictHecServer.withTokens(TOKEN).start();
                TestProgram program = new TestProgram()) {
            int hecPort = URI.create(hec.url()).getPort();
            Map<String, String> env = Map.of("TCPTRACE_SINKS", "splunk", "SPLUNK_HEC_URL", hec.url(),
                    "SPLUNK_HEC_TOKEN", TOKEN, "SPLUNK_SPOOL_DIR", program.dir.resolve("spool").toString(),
                    // the HEC server's accepts are this JVM's: leave them out, or each post would make more
                    "TCPTRACE_EXCLUDE_PIDS", Long.toString(ProcessHandle.current().pid()),
                    "TCPTRACE_KERNEL_EXCLUDE_OWN_PID", Boolean.toString(kernelExcludes),
                    "SPLUNK_LINGER_MS", "50");
            try (TracerProcess tracer = TracerProcess.startBehind(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"),
                    env)) {
                Matcher m = KERNEL_PID.matcher(tracer.logText());
                assertTrue(m.find(), "the tracer says which pid the kernel gives it:\n" + tracer.logText());
                long inNamespace = Long.parseLong(m.group(1));
                long kernelPid = Long.parseLong(m.group(2));
                assertNotEquals(inNamespace, kernelPid);
                assertTrue(tracer.log().stream().anyMatch(l -> l.contains("/proc here belongs to another pid namespace")),
                        tracer.logText());

                // Another program's connects, so there is something to post (several posts: one a batch).
                for (int round = 0; round < 5; round++) {
                    TestProgram.sh(program.binary + " --connect " + refused + " 20").process().waitFor();
                    Thread.sleep(100);
                }
                long deadline = System.nanoTime() + KernelTestSupport.scaled(20_000) * 1_000_000L;
                while (toPort(hec, refused).size() < 100 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(100, toPort(hec, refused).size(), "the program's connects reached HEC\n" + tracer.logText());
                String routeFiltered = "tcptrace_events_filtered_total{where=\"route-self-pid\"}";
                if (kernelExcludes) {
                    // the kernel dropped them, by the kernel's pid: the route's filter never saw one
                    assertEquals(0.0, Metrics.value(Metrics.get(tracer, "/observe/metrics").body(), routeFiltered)
                            .orElseThrow(), tracer.logText());
                } else {
                    // the posts were seen by the kernel and stopped by the route's filter, by the kernel's pid
                    Metrics.await(tracer, routeFiltered, 1);
                }
                Thread.sleep(500);   // what a post's own event would need to come back
                List<JsonNode> own = hec.indexedEvents().stream().map(e -> e.path("event"))
                        .filter(e -> e.path("process_id").asLong() == kernelPid
                                || (e.path("dest_port").asInt() == hecPort && "outbound".equals(e.path("direction").asText())))
                        .toList();
                assertEquals(List.of(), own, "no event of the tracer's own connections");
                // unshare does not pass SIGTERM on: stop the tracer itself, by its pid on the host, as a runtime would
                ProcessHandle.of(kernelPid).orElseThrow().destroy();
                assertTrue(tracer.waitFor(java.time.Duration.ofSeconds(60)), tracer.logText());
                assertTrue(tracer.log().stream().anyMatch(l -> l.contains("stopped after")), tracer.logText());
            }
        }
    }

    private static List<JsonNode> toPort(StrictHecServer hec, int port) {
        return hec.indexedEvents().stream().map(e -> e.path("event")).filter(e -> e.path("dest_port").asInt() == port)
                .toList();
    }
}
