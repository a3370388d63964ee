package io.tcptrace.splunk.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.event.ConnectionEvent;
import io.tcptrace.event.EventJson;
import io.tcptrace.event.EventSchema.Type;
import io.tcptrace.kernel.ConnectTracer;
import io.tcptrace.kernel.ProbeMode;
import io.tcptrace.kernel.TracerConfiguration;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The app's CIM mapping checked the way Splunk's own CIM tests check an add-on, on real events:
 * a tracer in the kernel sees a refused connect and two established connections (one with bytes
 * both ways, one with nothing sent back), its events are written as the sinks write them,
 * read as Splunk's search time would with the app's props.conf ({@link SearchTimeFields}), and
 * each is held against CIM Network_Traffic's field list (test data, src/test/resources/splunk/cim,
 * with its source).
 */
class CimNetworkTrafficTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NO_VALUE = Set.of("", "-", "unknown", "null", "(null)");
    private static final Pattern IP = Pattern.compile("[0-9.]+|[0-9a-fA-F:]+");

    record CimField(String name, String type, boolean recommended, Set<String> expected, boolean numeric) {
    }

    @Test
    void realEventsThroughTheAppsPropsMeetNetworkTraffic() throws Exception {
        KernelTestSupport.requireKernel();
        List<CimField> cim = cimFields();
        assertEquals(51, cim.size(), "the whole field list");
        Map<String, String> props = SplunkConf.read(SplunkAppTest.APP.resolve("default/props.conf")).stanza("linux:ebpf:tcp");
        List<Map<String, Object>> events = new ArrayList<>();
        for (ConnectionEvent e : realEvents()) {
            Map<String, Object> json = JSON.readValue(EventJson.perThread().write(e), new TypeReference<LinkedHashMap<String, Object>>() { });
            events.add(SearchTimeFields.apply(props, json));
        }
        assertEquals(Set.of("connect", "accept", "close"), Set.copyOf(events.stream().map(f -> f.get("event_type")).toList()));
        assertEquals(Set.of("allowed", "blocked", "teardown"), Set.copyOf(events.stream().map(f -> f.get("action")).toList()));
        for (Map<String, Object> f : events) {
            check(cim, f);
        }
    }

    /** app: the executable's path, else the comm; none for an accept whose listener has no known owner (never "unknown"). */
    @Test
    void appIsTheProgramAndAbsentWhereNoneIsKnown() throws Exception {
        Map<String, String> props = SplunkConf.read(SplunkAppTest.APP.resolve("default/props.conf")).stanza("linux:ebpf:tcp");
        Map<String, Object> accept = new LinkedHashMap<>(Map.of("event_type", "accept", "process_id", 0,
                "process_name", "", "ip_version", 6, "host", "h"));
        Map<String, Object> f = SearchTimeFields.apply(props, accept);
        assertFalse(f.containsKey("app"), f.toString());
        assertEquals("ipv6", f.get("protocol_version"));
        accept.put("process_name", "nginx");
        assertEquals("nginx", SearchTimeFields.apply(props, accept).get("app"));
        accept.put("process_path", "/usr/sbin/nginx");
        assertEquals("/usr/sbin/nginx", SearchTimeFields.apply(props, accept).get("app"));
        assertEquals("nginx", SearchTimeFields.apply(props, accept).get("process_exec"));
    }

    private static void check(List<CimField> cim, Map<String, Object> f) {
        String where = f.toString();
        for (CimField c : cim) {
            Object v = f.get(c.name());
            switch (c.type()) {
                case "required" -> assertTrue(v != null && !NO_VALUE.contains(v.toString()),
                        "required " + c.name() + " has no value: " + where);
                case "not_allowed_in_search" -> assertFalse(f.containsKey(c.name()), c.name() + " must not be made");
                default -> { }
            }
            if (c.recommended() && Set.of("dest_port", "src_port", "user").contains(c.name())) {
                assertTrue(v != null, "recommended " + c.name() + " is written on every event: " + where);
            }
            if (v == null) {
                continue;
            }
            assertFalse(NO_VALUE.contains(v.toString()), c.name() + " holds a no-value: " + where);
            if (!c.expected().isEmpty()) {
                assertTrue(c.expected().contains(v.toString()), c.name() + "=" + v + " is not one of " + c.expected());
            }
            if (c.numeric()) {
                assertTrue(v instanceof Number, c.name() + " is not a number: " + where);
            }
        }
        // The file's conditional rules that apply to TCP over IP.
        assertEquals("tcp", f.get("transport"));
        assertEquals("ip", f.get("protocol"), "transport tcp needs protocol ip");
        assertTrue(Set.of("ipv4", "ipv6").contains(f.get("protocol_version")), where);
        for (String side : List.of("src", "dest")) {
            assertTrue(IP.matcher(f.get(side).toString()).matches(), side + " is an address: " + where);
            assertEquals(f.get(side), f.get(side + "_ip"), side + " and " + side + "_ip agree");
        }
        long cluster = Arrays.asList("bytes", "bytes_in", "bytes_out").stream().filter(f::containsKey).count();
        assertTrue(cluster == 0 || cluster == 3, "bytes, bytes_in and bytes_out together: " + where);
        if (cluster == 3) {
            assertEquals(((Number) f.get("bytes")).longValue(),
                    ((Number) f.get("bytes_in")).longValue() + ((Number) f.get("bytes_out")).longValue());
            // The CIM tests want each above 0. A close with nothing received is 0: the measurement,
            // kept (splunk/tcptrace/README.md, "Zero byte counts"); negative never.
            assertTrue(((Number) f.get("bytes")).longValue() > 0, "a connection that carried data: " + where);
            assertTrue(((Number) f.get("bytes_in")).longValue() >= 0 && ((Number) f.get("bytes_out")).longValue() >= 0);
        }
        long packets = Arrays.asList("packets", "packets_in", "packets_out").stream().filter(f::containsKey).count();
        assertTrue(packets == 0 || packets == 3, "packets, packets_in and packets_out together: " + where);
        assertEquals(cluster == 3, packets == 3, "a close carries both byte and packet counts: " + where);
        if (packets == 3) {
            assertEquals(((Number) f.get("packets")).longValue(),
                    ((Number) f.get("packets_in")).longValue() + ((Number) f.get("packets_out")).longValue());
            assertTrue(((Number) f.get("packets_in")).longValue() > 0 && ((Number) f.get("packets_out")).longValue() > 0,
                    "an established connection sent and received its handshake at least: " + where);
        }
        assertEquals(f.get("host"), f.get("dvc"));
        assertTrue(f.get("app").toString().startsWith("/"), "app is the program's path: " + where);
    }

    /** A refused connect and two established connections (data both ways; data one way), from this JVM. */
    private static List<ConnectionEvent> realEvents() throws Exception {
        int refused = KernelTestSupport.refusedPort();
        List<ConnectionEvent> seen = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            TracerConfiguration config = new TracerConfiguration();
            config.setProbe(ProbeMode.TRACEPOINT);
            config.setExcludeOwnPid(false);
            config.setDestPorts(port + "," + refused);
            config.setCacheDir(Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache").toString());
            try (ConnectTracer tracer = ConnectTracer.open(config, seen::addAll)) {
                KernelTestSupport.connectRefused("127.0.0.1", refused);
                for (int answer : List.of(50, 0)) {
                    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
                            Socket accepted = server.accept()) {
                        client.getOutputStream().write(new byte[100]);
                        accepted.getInputStream().readNBytes(100);
                        accepted.getOutputStream().write(new byte[answer]);
                        client.getInputStream().readNBytes(answer);
                    }
                }
                long deadline = System.nanoTime() + KernelTestSupport.scaled(5000) * 1_000_000L;
                while (System.nanoTime() < deadline && seen.stream().filter(e -> e.type() == Type.CLOSE).count() < 4) {
                    tracer.poll(50);
                }
                tracer.poll(50);
            }
        }
        assertEquals(9, seen.size(), "1 refused connect; 2 x (connect, accept, 2 closes): " + seen);
        return seen;
    }

    static List<CimField> cimFields() throws Exception {
        List<CimField> fields = new ArrayList<>();
        try (InputStream in = CimNetworkTrafficTest.class.getResourceAsStream("/splunk/cim/Network_Traffic.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] c = line.split("\t");
                fields.add(new CimField(c[0], c[1], c[2].equals("recommended"),
                        c[3].equals("-") ? Set.of() : Set.of(c[3].split(",")), c[4].equals("numeric")));
            }
        }
        return fields;
    }
}
