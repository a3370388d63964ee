package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tcptrace.KernelTestSupport;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The capability set of deploy/tcptrace.service, tried on the real kernel: a non-root user
 * holding exactly that set (under setpriv, as systemd would grant it) traces a connect into the
 * file sink; without any one of them start-up ends with exit status 1 and one line naming the
 * missing capability. The set is read from the unit file, so the two cannot drift apart.
 */
class LeastPrivilegeTest {
    static final Path UNIT = Path.of(System.getProperty("tcptrace.home", "."), "deploy", "tcptrace.service");
    static final String USER = "tcptrace-test";
    /** Capability numbers of linux/capability.h, by index. */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
            "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    /** The test classpath and routes, copied or hard-linked where the unprivileged user can read them. */
    @TempDir
    static Path stage;
    static String classPath;
    static Path routes;
    /**
     * Like the unit's CacheDirectory=: owned by the test user, who builds the merged kernel header
     * tree in it on its first start (a few seconds of symlinks), kept for the next runs.
     */
    static Path cacheDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void prepare() throws Exception {
        KernelTestSupport.requireKernel();
        ensureUser();
        Files.setPosixFilePermissions(stage, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(Files.createDirectories(stage.resolve("cp")),
                PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (Files.exists(source)) {
                Path target = stage.resolve("cp").resolve(i++ + "-" + source.getFileName());
                stageReadable(source, target);
                entries.add(target.toString());
            }
        }
        classPath = String.join(File.pathSeparator, entries);
        routes = stage.resolve("routes");
        stageReadable(YamlRoutesTestSupport.ROUTES, routes);
        cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "tcptrace-test-cache-" + USER);
        if (Files.exists(cacheDir) && (Integer) Files.getAttribute(cacheDir, "unix:uid") != uid()) {
            run("rm", "-rf", cacheDir.toString());
        }
        if (!Files.exists(cacheDir)) {
            Files.createDirectories(cacheDir);
            Files.setOwner(cacheDir, cacheDir.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(USER));
            Files.setPosixFilePermissions(cacheDir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void unitCapabilitiesAreEnoughForANonRootUser() throws Exception {
        Set<String> caps = unitCapabilities();
        Path state = stateDir();
        Path out = state.resolve("events.jsonl");
        long started = System.nanoTime();
        try (TracerProcess tracer = TracerProcess.start(asUser(caps, state, out))) {
            assertTrue(tracer.awaitLine("tcptrace ready", Duration.ofSeconds(30)) && tracer.process().isAlive(),
                    "not ready with " + caps + ":\n" + tracer.logText());
            long readyMs = (System.nanoTime() - started) / 1_000_000;

            // What the kernel says the tracer runs as: the test user, holding exactly the unit's set.
            List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(tracer.process().pid()), "status"));
            assertEquals(uid(), Long.parseLong(field(status, "Uid:").split("\\s+")[0]), "real uid");
            assertEquals(uid(), Long.parseLong(field(status, "Uid:").split("\\s+")[1]), "effective uid");
            assertEquals(mask(caps), Long.parseUnsignedLong(field(status, "CapEff:"), 16), "effective capabilities");
            assertEquals(mask(caps), Long.parseUnsignedLong(field(status, "CapBnd:"), 16), "bounding set");
            assertEquals("1", field(status, "NoNewPrivs:"), "no_new_privs");

            int port = KernelTestSupport.refusedPort();
            long pid = KernelTestSupport.connectFromChild("127.0.0.1", port);
            String event = awaitEvent(out, "\"dest_port\":" + port + ",", "\"process_id\":" + pid + ",", tracer);
            assertTrue(event.contains("\"outcome\":\"refused\""), event);

            // dest_host needs CAP_NET_ADMIN, which the unit leaves out: one line says so, and the rest runs
            assertTrue(tracer.log().stream().anyMatch(l -> l.contains("connections carry no dest_host")
                    && l.contains("CAP_NET_ADMIN")), tracer.logText());

            tracer.sigterm();
            assertTrue(tracer.waitFor(Duration.ofSeconds(30)), "tracer did not stop");
            assertTrue(tracer.log().stream().anyMatch(l -> l.contains("stopped after")), tracer.logText());
            assertTrue(tracer.log().stream().noneMatch(l -> l.contains(" ERROR ")), tracer.logText());
            System.out.println("least privilege: ready in " + readyMs + " ms as " + USER + " with " + caps);
        }
    }

    /** The README's drop-in for dest_host: the unit's set and CAP_NET_ADMIN link the DNS answer filter as a non-root user. */
    @Test
    void withNetAdminAddedDestinationNamesWorkForANonRootUser() throws Exception {
        Set<String> caps = new LinkedHashSet<>(unitCapabilities());
        caps.add("CAP_NET_ADMIN");
        Path state = stateDir();
        ProcessBuilder pb = asUser(caps, state, state.resolve("events.jsonl"));
        pb.environment().put("TCPTRACE_DEST_HOST", "true");   // required: the start fails if it cannot
        try (TracerProcess tracer = TracerProcess.start(pb)) {
            assertTrue(tracer.awaitLine("tcptrace ready", Duration.ofSeconds(30)) && tracer.process().isAlive(),
                    "not ready with " + caps + ":\n" + tracer.logText());
            assertTrue(tracer.log().stream().anyMatch(l -> l.contains("attached [") && l.contains("cgroup ingress")),
                    tracer.logText());
            tracer.sigterm();
            assertTrue(tracer.waitFor(Duration.ofSeconds(30)), "tracer did not stop");
        }
    }

    /** Each capability of the unit is needed (the set is minimal): without it, one line names it. */
    @ParameterizedTest
    @MethodSource("unitCapabilities")
    void withoutOneCapabilityStartUpNamesIt(String missing) throws Exception {
        Set<String> caps = new LinkedHashSet<>(unitCapabilities());
        caps.remove(missing);
        Path state = stateDir();
        try (TracerProcess tracer = TracerProcess.start(asUser(caps, state, state.resolve("events.jsonl")))) {
            assertFalse(tracer.awaitLine("tcptrace ready", Duration.ofSeconds(30)),
                    "started without " + missing + ", so the unit should not grant it:\n" + tracer.logText());
            assertTrue(tracer.waitFor(Duration.ofSeconds(10)), "still running without " + missing + ":\n"
                    + tracer.logText());
            assertEquals(1, tracer.process().exitValue(), tracer.logText());
            List<String> lines = tracer.log().stream().filter(l -> l.startsWith("tcptrace: ")).toList();
            assertEquals(1, lines.size(), "exactly one error line in:\n" + tracer.logText());
            assertTrue(lines.get(0).startsWith("tcptrace: missing " + missing + " ("), lines.get(0));
            assertTrue(lines.get(0).endsWith("as deploy/tcptrace.service does"), lines.get(0));
            String fix = lines.get(0).substring(lines.get(0).lastIndexOf(": run as root"));
            unitCapabilities().forEach(c -> assertTrue(fix.contains(c), "the fix should name " + c + ": " + fix));
            assertFalse(tracer.logText().contains("\tat "), "no stack trace in:\n" + tracer.logText());
        }
    }

    /** AmbientCapabilities= of the unit; CapabilityBoundingSet= must list the same. */
    static Set<String> unitCapabilities() throws IOException {
        List<String> unit = Files.readAllLines(UNIT);
        Set<String> ambient = directive(unit, "AmbientCapabilities=");
        assertEquals(ambient, directive(unit, "CapabilityBoundingSet="), "the unit's bounding set and ambient set");
        assertFalse(ambient.isEmpty(), "no AmbientCapabilities= in " + UNIT);
        for (String cap : ambient) {
            assertTrue(CAPABILITIES.contains(cap), "unknown capability " + cap + " in " + UNIT);
        }
        return ambient;
    }

    private static Set<String> directive(List<String> unit, String key) {
        Set<String> values = new LinkedHashSet<>();
        unit.stream().map(String::strip).filter(l -> l.startsWith(key))
                .forEach(l -> values.addAll(Arrays.asList(l.substring(key.length()).strip().split("\\s+"))));
        values.remove("");
        return values;
    }

    /** setpriv as the test user with exactly {@code caps}, as systemd's User=, AmbientCapabilities=, NoNewPrivileges= do. */
    private ProcessBuilder asUser(Set<String> caps, Path state, Path out) {
        String set = caps.stream().map(c -> ",+" + c.substring(4).toLowerCase()).reduce("-all", String::concat);
        ProcessBuilder pb = new ProcessBuilder(TracerProcess.command(List.of("setpriv", "--reuid=" + USER,
                "--regid=" + USER, "--clear-groups", "--no-new-privs", "--inh-caps=" + set, "--ambient-caps=" + set,
                "--bounding-set=" + set, "--"), classPath));
        pb.directory(stage.toFile());
        pb.environment().put("TCPTRACE_SINKS", "file");
        pb.environment().put("TCPTRACE_FILE", out.toString());
        pb.environment().put("TCPTRACE_ROUTES_DIR", routes.toString());
        pb.environment().put("TCPTRACE_CACHE_DIR", cacheDir.toString());
        pb.environment().put("XDG_CACHE_HOME", state.resolve("xdg-cache").toString());
        return pb;
    }

    /** A directory only the test user may write, like the unit's StateDirectory=. */
    private Path stateDir() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path state = Files.createDirectories(tmp.resolve("state"));
        UserPrincipal user = state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
        Files.setOwner(state, user);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        return state;
    }

    private static String awaitEvent(Path file, String a, String b, TracerProcess tracer) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                try (Stream<String> lines = Files.lines(file)) {
                    List<String> found = lines.filter(l -> l.contains(a) && l.contains(b)).toList();
                    if (!found.isEmpty()) {
                        return found.get(0);
                    }
                }
            }
            Thread.sleep(50);
        }
        return fail("no event with " + a + " and " + b + " in " + file + "; log:\n" + tracer.logText());
    }

    private static long mask(Set<String> caps) {
        return caps.stream().mapToLong(c -> 1L << CAPABILITIES.indexOf(c)).reduce(0L, (x, y) -> x | y);
    }

    private static String field(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " in /proc/PID/status"))
                .substring(key.length()).strip();
    }

    private static long uid() throws Exception {
        return Long.parseLong(run("id", "-u", USER).strip());
    }

    private static void ensureUser() throws Exception {
        if (new ProcessBuilder("id", "-u", USER).start().waitFor() != 0) {
            run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", USER);
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** Hard links for world-readable files (no copying of jars), copies for the rest, all readable by others. */
    private static void stageReadable(Path source, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        if (Files.isDirectory(source)) {
            try (Stream<Path> tree = Files.walk(source)) {
                for (Path p : (Iterable<Path>) tree::iterator) {
                    Path t = target.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        stageReadable(p, t);
                    }
                }
            }
            return;
        }
        if (Files.getPosixFilePermissions(source).contains(PosixFilePermission.OTHERS_READ)) {
            try {
                Files.createLink(target, source);
                return;
            } catch (IOException | UnsupportedOperationException e) {
                // another file system: copy
            }
        }
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
