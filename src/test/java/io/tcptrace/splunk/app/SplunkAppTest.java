package io.tcptrace.splunk.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tcptrace.event.EventSchema;
import io.tcptrace.event.EventJson;
import io.tcptrace.ops.StatsReport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Splunk app (splunk/tcptrace) checked without a Splunk server: every .conf file parses
 * strictly, every field that props, event types, tags and the dashboards refer to exists in the
 * event schema as the code declares it ({@link EventSchema}, {@link StatsReport}) or is made by
 * the app itself, the Dashboard Studio definition is complete, and the package the build made
 * has the layout Splunk installs.
 */
class SplunkAppTest {
    static final Path HOME = Path.of(System.getProperty("tcptrace.home", "."));
    static final Path APP = HOME.resolve("splunk/tcptrace");
    static final Path VIEWS = APP.resolve("default/data/ui/views");
    static final String APP_ID = "tcptrace";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");

    private final Properties settings = applicationProperties();
    private final String sourcetype = settings.getProperty("splunk.sourcetype");
    private final String statsSourcetype = settings.getProperty("splunk.stats-sourcetype");

    @Test
    void everyConfFileParsesWithoutDuplicates() throws IOException {
        List<Path> files = confFiles();
        Set<String> names = new TreeSet<>();
        for (Path f : files) {
            SplunkConf.read(f); // throws naming file, line and cause
            names.add(APP.relativize(f).toString());
        }
        assertTrue(names.containsAll(List.of("default/app.conf", "default/props.conf", "default/eventtypes.conf",
                "default/tags.conf", "default/macros.conf", "metadata/default.meta")), names.toString());
    }

    @Test
    void theStrictParserRejectsWhatSplunkWouldSilentlyMerge() throws IOException {
        Path tmp = Files.createTempFile("tcptrace", ".conf");
        try {
            Files.writeString(tmp, "[a]\nx = 1\nx = 2\n");
            assertRejected(tmp, "key x set twice");
            Files.writeString(tmp, "[a]\nx = 1\n[a]\ny = 2\n");
            assertRejected(tmp, "stanza [a] appears twice");
            Files.writeString(tmp, "[a]\nnot a setting\n");
            assertRejected(tmp, "neither a stanza");
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void appConfNamesTheAppAndTakesItsVersionFromThePom() throws IOException {
        SplunkConf app = conf("default/app.conf");
        assertEquals(APP_ID, APP.getFileName().toString(), "the folder is named as the app id");
        assertEquals(APP_ID, app.stanza("package").get("id"));
        assertEquals(APP_ID, app.stanza("id").get("name"));
        String version = "${splunkApp.majorVersion}.${splunkApp.minorVersion}.${splunkApp.incrementalVersion}";
        assertEquals(version, app.stanza("id").get("version"), "filled in by the build");
        assertEquals(version, app.stanza("launcher").get("version"));
        assertFalse(app.stanza("launcher").get("description").isBlank());
        assertFalse(app.stanza("launcher").get("author").isBlank());
        assertFalse(app.stanza("ui").get("label").isBlank());
        assertEquals("system", conf("metadata/default.meta").stanza("").get("export"),
                "knowledge objects exported, so the CIM data models see them");
    }

    @Test
    void propsReadTheSourcetypesTcptraceSendsWithTheirMicrosecondTime() throws IOException {
        SplunkConf props = conf("default/props.conf");
        assertEquals("linux:ebpf:tcp", sourcetype, "README and eventtypes name this sourcetype");
        assertEquals(EventSchema.Field.TIME, EventSchema.Field.values()[0], "time is written first");
        Instant t = Instant.parse("2026-11-28T18:00:00.123456Z");
        String eventLine = "{\"time\":\"" + EventJson.TIME_FORMAT.format(t) + "\",\"event_type\":\"close\"}";
        String statsLine = new String(statsEvent(t), StandardCharsets.UTF_8);
        for (var e : Map.of(sourcetype, eventLine, statsSourcetype, statsLine).entrySet()) {
            Map<String, String> s = props.stanza(e.getKey());
            assertEquals("json", s.get("KV_MODE"), e.getKey());
            assertFalse(s.containsKey("INDEXED_EXTRACTIONS"), "search-time JSON only: both would show fields twice");
            assertEquals("false", s.get("SHOULD_LINEMERGE"));
            assertEquals("([\\r\\n]+)", s.get("LINE_BREAKER"));
            assertEquals("UTC", s.get("TZ"));
            assertTrue(Integer.parseInt(s.get("TRUNCATE")) >= 8192, "room for a long command line");
            Matcher prefix = Pattern.compile(s.get("TIME_PREFIX")).matcher(e.getValue());
            assertTrue(prefix.lookingAt(), s.get("TIME_PREFIX") + " does not match " + e.getValue());
            String rest = e.getValue().substring(prefix.end());
            DateTimeFormatter f = javaFormat(s.get("TIME_FORMAT"));
            String timestamp = rest.substring(0, rest.indexOf('"'));
            assertTrue(timestamp.length() <= Integer.parseInt(s.get("MAX_TIMESTAMP_LOOKAHEAD")));
            assertEquals(t, Instant.from(f.parse(timestamp)), "TIME_FORMAT reads " + timestamp + " to the microsecond");
        }
    }

    @Test
    void everyFieldPropsUseExistsInTheSchema() throws IOException {
        for (String st : List.of(sourcetype, statsSourcetype)) {
            appFields(st); // fails on an unknown field
        }
        Set<String> made = appFields(sourcetype);
        assertTrue(made.containsAll(List.of("src", "dest", "dvc", "protocol", "protocol_version", "process_exec",
                "parent_process_exec", "vendor_product")), made.toString());
    }

    @Test
    void eventTypesAndTagsMapConnectAcceptAndCloseToNetworkTraffic() throws IOException {
        SplunkConf eventtypes = conf("default/eventtypes.conf");
        for (var e : eventtypes.stanzas().entrySet()) {
            String search = e.getValue().get("search");
            assertNotNull(search, e.getKey() + " has no search");
            checkSearch("eventtypes.conf [" + e.getKey() + "]", search, sourcetypeOf(search));
        }
        SplunkConf tags = conf("default/tags.conf");
        for (var e : tags.stanzas().entrySet()) {
            assertTrue(e.getKey().startsWith("eventtype="), e.getKey());
            assertTrue(eventtypes.stanzas().containsKey(e.getKey().substring("eventtype=".length())),
                    "tags.conf tags an undefined event type: " + e.getKey());
            e.getValue().values().forEach(v -> assertTrue(v.equals("enabled") || v.equals("disabled"), v));
        }
        for (EventSchema.Type type : EventSchema.Type.values()) {
            String name = "tcptrace_" + type.json();
            assertEquals("sourcetype=\"" + sourcetype + "\" event_type=\"" + type.json() + "\"",
                    eventtypes.stanza(name).get("search"));
            Map<String, String> t = tags.stanza("eventtype=" + name);
            assertEquals("enabled", t.get("network"), name);
            assertEquals("enabled", t.get("communicate"), name);
        }
    }

    @Test
    void dashboardSearchesReferOnlyToFieldsThatExist() throws Exception {
        List<String> queries = new ArrayList<>(studioQueries().values());
        queries.addAll(simpleXmlQueries());
        assertTrue(queries.size() >= 20, "both dashboards' searches: " + queries.size());
        for (String q : queries) {
            Set<String> macros = SplFields.macros(q);
            assertEquals(1, macros.size(), "one data macro per search: " + q);
            String definition = conf("default/macros.conf").stanza(macros.iterator().next()).get("definition");
            checkSearch("dashboard search " + q, q, sourcetypeOf(definition));
        }
    }

    @Test
    void dashboardStudioDefinitionIsCompleteAndMatchesTheSimpleXmlOne() throws Exception {
        Document studio = xml(VIEWS.resolve("tcptrace_overview.xml"));
        assertEquals("2", studio.getDocumentElement().getAttribute("version"), "Dashboard Studio");
        JsonNode d = studioDefinition();
        Set<String> sources = names(d.path("dataSources"));
        Set<String> visualizations = names(d.path("visualizations"));
        Set<String> inputs = names(d.path("inputs"));
        assertFalse(visualizations.isEmpty());
        d.path("visualizations").fields().forEachRemaining(v -> {
            JsonNode ds = v.getValue().path("dataSources");
            assertTrue(ds.size() > 0, v.getKey() + " has no data source");
            ds.fields().forEachRemaining(
                    s -> assertTrue(sources.contains(s.getValue().asText()), v.getKey() + " points at undefined " + s));
        });
        d.path("dataSources").fields().forEachRemaining(s -> {
            String type = s.getValue().path("type").asText();
            assertTrue(type.equals("ds.search") || type.equals("ds.chain"), s.getKey() + ": " + type);
            assertFalse(s.getValue().path("options").path("query").asText().isBlank(), s.getKey());
            if (type.equals("ds.chain")) {
                // one level: a chain extends a search (Studio allows one more level; the app needs none)
                String base = s.getValue().path("options").path("extend").asText();
                assertEquals("ds.search", d.path("dataSources").path(base).path("type").asText(), s.getKey() + " extends " + base);
                assertTrue(s.getValue().path("options").path("query").asText().startsWith("|"), s.getKey());
                assertTrue(s.getValue().path("options").path("queryParameters").isMissingNode(),
                        "time comes from the base search: " + s.getKey());
            }
        });
        long searches = d.path("dataSources").findValues("type").stream().filter(t -> t.asText().equals("ds.search")).count();
        // open connections need their own, and so do destination names (by name in the top lists' base
        // search, they would multiply its rows by every name each program reached)
        assertTrue(searches <= 10, "the panels share base searches: " + searches + " searches");
        Set<String> laidOut = new TreeSet<>();
        d.path("layout").path("structure").forEach(i -> laidOut.add(i.path("item").asText()));
        assertEquals(visualizations, laidOut, "every visualization laid out, nothing else");
        d.path("layout").path("globalInputs").forEach(i -> assertTrue(inputs.contains(i.asText()), i.asText()));
        Set<String> tokens = new TreeSet<>();
        d.path("inputs").forEach(i -> tokens.add(i.path("options").path("token").asText()));
        Matcher m = Pattern.compile("\\$([A-Za-z_]+)(?:\\.[a-z]+)?\\$").matcher(d.toString());
        while (m.find()) {
            assertTrue(tokens.contains(m.group(1)), "token $" + m.group(1) + "$ has no input");
        }
        Document classic = xml(VIEWS.resolve("tcptrace_overview_classic.xml"));
        assertEquals("1.1", classic.getDocumentElement().getAttribute("version"), "Simple XML");
        assertEquals(new TreeSet<>(studioQueries().values()), new TreeSet<>(simpleXmlQueries()),
                "both dashboards have the same panels");
        String text = studioQueries().values().toString();
        for (String panel : List.of("timechart span=5m sum(events) by type_action", "action=\"blocked\"", "by direction",
                "by process_exec", "by service", "by container_id", "sort - duration", "sort - bytes",
                "perc50(latency_ms)", "perc99(latency_ms)", "sum(lost)", "sum(dead_lettered)")) {
            assertTrue(text.contains(panel), "a panel with " + panel);
        }
    }

    @Test
    void thePackageHasTheLayoutSplunkInstalls() throws IOException {
        String version = System.getProperty("tcptrace.version");
        assertNotNull(version, "run through Maven (tcptrace.version)");
        Path tgz = HOME.resolve("target/tcptrace-splunk-app-" + version + ".tgz");
        assertTrue(Files.isRegularFile(tgz), tgz + " not built: run mvn package or ./tcptrace build");
        Map<String, Tar.Entry> entries = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tgz)) {
            for (Tar.Entry e : Tar.read(in)) {
                assertTrue(e.name().startsWith(APP_ID + "/"), "one top folder named as the app id: " + e.name());
                assertFalse(e.name().contains("/."), "no hidden files: " + e.name());
                if (!e.directory()) {
                    assertEquals(0, e.mode() & 0111, "not executable: " + e.name());
                    entries.put(e.name().substring(APP_ID.length() + 1), e);
                }
            }
        }
        Map<String, byte[]> source = new TreeMap<>();
        try (Stream<Path> files = Files.walk(APP)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                source.put(APP.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        assertEquals(source.keySet(), new TreeSet<>(entries.keySet()), "the package holds exactly splunk/tcptrace");
        for (String required : List.of("default/app.conf", "metadata/default.meta", "README.md", "LICENSE",
                "default/props.conf", "default/data/ui/views/tcptrace_overview.xml")) {
            assertTrue(entries.containsKey(required), required);
        }
        for (var e : source.entrySet()) {
            if (!e.getKey().equals("default/app.conf")) {
                assertTrue(java.util.Arrays.equals(e.getValue(), entries.get(e.getKey()).content()),
                        e.getKey() + " packed as it is");
            }
        }
        String appConf = new String(entries.get("default/app.conf").content(), StandardCharsets.UTF_8);
        String numeric = version.replaceFirst("-.*$", "");
        assertTrue(appConf.contains("\nversion = " + numeric + "\n"), appConf);
        assertFalse(appConf.contains("${"), "every placeholder filled: " + appConf);
    }

    // --- helpers ---

    /** Fields the app makes for a sourcetype (aliases, evals), after checking that their inputs exist. */
    private Set<String> appFields(String st) throws IOException {
        Map<String, String> s = conf("default/props.conf").stanza(st);
        Set<String> known = new LinkedHashSet<>(schemaFields(st));
        known.addAll(SplFields.SPLUNK_FIELDS);
        Set<String> made = new LinkedHashSet<>();
        for (var e : s.entrySet()) {
            if (e.getKey().startsWith("FIELDALIAS-")) {
                Matcher m = Pattern.compile("(\\w+)\\s+(?i:as)\\s+(\\w+)").matcher(e.getValue());
                assertTrue(m.find(), e.getKey());
                do {
                    assertTrue(known.contains(m.group(1)), st + " " + e.getKey() + " aliases unknown field " + m.group(1));
                    made.add(m.group(2));
                } while (m.find());
            }
        }
        for (var e : s.entrySet()) {
            if (e.getKey().startsWith("EVAL-")) {
                Set<String> unknown = new TreeSet<>(SplFields.words(e.getValue()));
                unknown.removeAll(known);
                unknown.removeAll(made);
                assertTrue(unknown.isEmpty(), st + " " + e.getKey() + " reads unknown fields " + unknown);
                made.add(e.getKey().substring("EVAL-".length()));
            }
        }
        return made;
    }

    private void checkSearch(String where, String spl, String st) throws IOException {
        Set<String> known = new LinkedHashSet<>(schemaFields(st));
        known.addAll(appFields(st));
        known.addAll(SplFields.SPLUNK_FIELDS);
        known.addAll(SplFields.defined(spl));
        Set<String> unknown = new TreeSet<>(SplFields.words(spl));
        unknown.removeAll(known);
        assertTrue(unknown.isEmpty(), where + ": fields not in the schema of " + st + ": " + unknown);
        Map<String, Set<String>> values = schemaValues(st);
        for (var lit : SplFields.literals(spl).entrySet()) {
            Set<String> allowed = lit.getKey().equals("sourcetype") ? Set.of(sourcetype, statsSourcetype)
                    : values.get(lit.getKey());
            for (String v : lit.getValue()) {
                if (allowed != null && !v.isEmpty()) {
                    assertTrue(allowed.contains(v), where + ": " + lit.getKey() + "=\"" + v + "\" is not one of " + allowed);
                }
            }
        }
    }

    private List<String> schemaFields(String st) {
        if (st.equals(sourcetype)) {
            return EventSchema.fieldNames();
        }
        if (st.equals(statsSourcetype)) {
            return StatsReport.fieldNames();
        }
        throw new AssertionError("not a sourcetype tcptrace sends: " + st);
    }

    /** The values a field can take, where the schema lists them (`allowed`, `blocked`...), and event_type's. */
    private Map<String, Set<String>> schemaValues(String st) {
        Map<String, Set<String>> values = new HashMap<>();
        if (st.equals(sourcetype)) {
            for (EventSchema.Field f : EventSchema.Field.values()) {
                Matcher m = BACKTICKED.matcher(f.meaning());
                Set<String> v = new TreeSet<>();
                while (m.find()) {
                    v.add(m.group(1));
                }
                if (!v.isEmpty() && f.kind() == EventSchema.Kind.STRING && !f.json().equals("process")) {
                    values.put(f.json(), v);
                }
            }
            Set<String> types = new TreeSet<>();
            for (EventSchema.Type t : EventSchema.Type.values()) {
                types.add(t.json());
            }
            values.put("event_type", types);
        }
        return values;
    }

    private String sourcetypeOf(String search) {
        Set<String> st = SplFields.literals(search).get("sourcetype");
        assertTrue(st != null && st.size() == 1, "one sourcetype in " + search);
        return st.iterator().next();
    }

    /** Each visualization's search as Splunk runs it: a chain's base search, then the chain. */
    private Map<String, String> studioQueries() throws Exception {
        JsonNode d = studioDefinition();
        JsonNode sources = d.path("dataSources");
        Map<String, String> q = new TreeMap<>();
        d.path("visualizations").fields().forEachRemaining(v -> {
            String id = v.getValue().path("dataSources").path("primary").asText();
            JsonNode s = sources.path(id);
            String query = s.path("options").path("query").asText();
            if (s.path("type").asText().equals("ds.chain")) {
                query = sources.path(s.path("options").path("extend").asText()).path("options").path("query").asText()
                        + " " + query;
            }
            q.put(v.getKey(), query);
        });
        return q;
    }

    private JsonNode studioDefinition() throws Exception {
        Document studio = xml(VIEWS.resolve("tcptrace_overview.xml"));
        NodeList def = studio.getElementsByTagName("definition");
        assertEquals(1, def.getLength(), "one <definition>");
        return JSON.readTree(def.item(0).getTextContent());
    }

    /** Each panel's search as Splunk runs it: a post-process search after its base search. */
    private List<String> simpleXmlQueries() throws Exception {
        NodeList searches = xml(VIEWS.resolve("tcptrace_overview_classic.xml")).getElementsByTagName("search");
        Map<String, String> bases = new HashMap<>();
        List<Element> panels = new ArrayList<>();
        for (int i = 0; i < searches.getLength(); i++) {
            Element s = (Element) searches.item(i);
            if (!s.getAttribute("id").isEmpty()) {
                bases.put(s.getAttribute("id"), query(s));
            } else {
                panels.add(s);
            }
        }
        List<String> q = new ArrayList<>();
        for (Element s : panels) {
            String base = s.getAttribute("base");
            assertTrue(base.isEmpty() || bases.containsKey(base), "post-process of undefined search " + base);
            q.add(base.isEmpty() ? query(s) : bases.get(base) + " " + query(s));
        }
        return q;
    }

    private static String query(Element search) {
        return ((Element) search.getElementsByTagName("query").item(0)).getTextContent().strip();
    }

    private static Set<String> names(JsonNode object) {
        Set<String> n = new TreeSet<>();
        object.fieldNames().forEachRemaining(n::add);
        return n;
    }

    private static Document xml(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(file.toFile());
    }

    /** Splunk strptime (the subset props.conf uses) to a Java formatter. */
    static DateTimeFormatter javaFormat(String splunk) {
        StringBuilder j = new StringBuilder();
        for (int i = 0; i < splunk.length(); i++) {
            char c = splunk.charAt(i);
            if (c != '%') {
                j.append('\'').append(c).append('\'');
                continue;
            }
            String spec = splunk.substring(i + 1, Math.min(splunk.length(), i + 3));
            if (spec.startsWith("6N")) {
                j.append("SSSSSS");
                i += 2;
                continue;
            }
            j.append(switch (spec.charAt(0)) {
                case 'Y' -> "yyyy";
                case 'm' -> "MM";
                case 'd' -> "dd";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                default -> throw new AssertionError("TIME_FORMAT conversion %" + spec.charAt(0) + " not handled");
            });
            i++;
        }
        return DateTimeFormatter.ofPattern(j.toString()).withZone(ZoneOffset.UTC);
    }

    private static byte[] statsEvent(Instant t) {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        FunctionCounter.builder("tcptrace.kernel.events.read", new Object(), o -> 5).register(r);
        StatsReport report = new StatsReport();
        report.setMeters(r);
        report.setHost("h");
        return report.report(t).get(0);
    }

    private static List<Path> confFiles() throws IOException {
        try (Stream<Path> files = Files.walk(APP)) {
            return files.filter(f -> f.toString().endsWith(".conf") || f.toString().endsWith(".meta")).sorted()
                    .toList();
        }
    }

    private static SplunkConf conf(String relative) throws IOException {
        return SplunkConf.read(APP.resolve(relative));
    }

    private static void assertRejected(Path file, String why) throws IOException {
        try {
            SplunkConf.read(file);
            fail("accepted: " + Files.readString(file));
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains(why), e.getMessage());
        }
    }

    private static Properties applicationProperties() {
        Properties p = new Properties();
        try (InputStream in = SplunkAppTest.class.getResourceAsStream("/application.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }
}
