package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tcptrace.KernelTestSupport;
import io.tcptrace.app.TracerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Debian package as an operator meets it: {@code dpkg -i} on this machine, the installed
 * unit's command run as systemd would run it (its user, capabilities, environment, working
 * directory and umask; these machines have no systemd as PID 1) tracing a real connection into
 * the file sink, a reinstall that keeps an edited setting, then {@code dpkg --purge} leaving
 * only what Debian's policy keeps (the system user). Built by {@code ./tcptrace package deb}.
 */
@Tag("package")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianPackageTest {
    static final String PACKAGE = "tcptrace-agent";
    static final Path UNIT = Path.of("/lib/systemd/system/tcptrace.service");
    static final Path SETTINGS = Path.of("/etc/tcptrace/tcptrace.env");
    static final List<Path> INSTALLED = List.of(Path.of("/usr/sbin/tcptrace-agent"),
            Path.of("/usr/share/tcptrace/tcptrace.jar"), Path.of("/usr/share/tcptrace/jvm.options"),
            Path.of("/etc/tcptrace/routes/tcp-connect.yaml"), Path.of("/etc/tcptrace/routes/sink-file.yaml"), SETTINGS,
            UNIT, Path.of("/usr/share/man/man8/tcptrace-agent.8.gz"),
            Path.of("/usr/share/doc/tcptrace-agent/copyright"));
    static final List<Path> STATE = List.of(Path.of("/var/lib/tcptrace"), Path.of("/var/cache/tcptrace"));
    static Path deb;

    @BeforeAll
    static void findPackage() throws Exception {
        KernelTestSupport.requireKernel();
        Path target = Path.of(System.getProperty("tcptrace.home", "."), "target");
        try (Stream<Path> files = Files.list(target)) {
            deb = files.filter(p -> p.getFileName().toString().matches("tcptrace-agent_.*_all\\.deb"))
                    .max((a, b) -> Long.compare(a.toFile().lastModified(), b.toFile().lastModified()))
                    .orElseThrow(() -> new AssertionError("no target/tcptrace-agent_*_all.deb: run ./tcptrace package deb"));
        }
        if (Commands.exec("dpkg-query", "-W", PACKAGE).exitCode() == 0) {
            Commands.run("dpkg", "--purge", PACKAGE);   // an earlier run's, on a developer's machine
        }
    }

    @Test
    @Order(1)
    void installsWithoutStartingAnything() throws Exception {
        Commands.run("dpkg", "-i", deb.toString());
        for (Path p : INSTALLED) {
            assertTrue(Files.isRegularFile(p), p + " installed");
        }
        assertTrue(Files.isExecutable(Path.of("/usr/sbin/tcptrace-agent")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(SETTINGS)),
                "the settings file holds the token");
        String conffiles = Commands.run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE);
        assertTrue(conffiles.contains(SETTINGS.toString()) && conffiles.contains("/etc/tcptrace/routes/tcp-connect.yaml"),
                conffiles);

        long uid = Long.parseLong(Commands.run("id", "-u", "tcptrace").strip());
        assertTrue(uid > 0 && uid < 1000, "tcptrace is a system user: uid " + uid);
        for (Path dir : STATE) {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertEquals("tcptrace", a.owner().getName(), dir + " owner");
            assertEquals("rwxr-x---", PosixFilePermissions.toString(a.permissions()), dir + " mode");
        }
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("")
                .contains("/usr/share/tcptrace/tcptrace.jar")), "nothing started by the installation");
    }

    @Test
    @Order(2)
    void theUnitsCommandTracesAsTheServiceUser() throws Exception {
        Files.writeString(SETTINGS, "TCPTRACE_SINKS=file\n", java.nio.file.StandardOpenOption.APPEND);
        SystemdUnit unit = SystemdUnit.read(UNIT);
        Map<String, String> env = unit.environment();
        assertEquals("file", env.get("TCPTRACE_SINKS"), "the settings file wins over the unit's lines");
        Path events = Path.of(env.get("TCPTRACE_FILE"));
        int port;
        try (TracerProcess tracer = TracerProcess.start(asTheUnit(unit, env))) {
            tracer.awaitReady();
            String status = Files.readString(Path.of("/proc", Long.toString(tracer.pid()), "status"));
            String uid = Commands.run("id", "-u", unit.value("User")).strip();
            assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+" + uid + "\\s.*")), "runs as the unit's user");

            port = EventsFile.connectOnce();
            JsonNode connect = EventsFile.await(events, "connect", port, tracer::logText);
            assertEquals(ProcessHandle.current().pid(), connect.path("process_id").asLong());
            assertEquals("root", connect.path("user").asText(), "process context of the connecting process");
            EventsFile.await(events, "accept", port, tracer::logText);
            JsonNode close = EventsFile.await(events, "close", port, tracer::logText);
            assertTrue(close.path("bytes_out").asLong() + close.path("bytes_in").asLong() >= 5, close.toString());

            assertEquals(143, tracer.sigterm(), "SIGTERM ends it as the unit's SuccessExitStatus= expects");
            assertTrue(tracer.logText().matches("(?s).*stopped after \\d+ events from the kernel, 0 lost.*"),
                    tracer.logText());
        }
        PosixFileAttributes a = Files.readAttributes(events, PosixFileAttributes.class);
        assertEquals("tcptrace", a.owner().getName());
        assertEquals("rw-r-----", PosixFilePermissions.toString(a.permissions()));

        // The first run left its class-data archive in the cache directory; the next one maps it.
        Path archive;
        try (Stream<Path> files = Files.list(STATE.get(1))) {
            archive = files.filter(p -> p.getFileName().toString().matches("tcptrace-\\d+-\\d+\\.jsa")).findFirst()
                    .orElseThrow(() -> new AssertionError("no class-data archive in " + STATE.get(1)));
        }
        assertEquals("tcptrace", Files.getOwner(archive).getName());
        try (TracerProcess again = TracerProcess.start(asTheUnit(unit, env))) {
            again.awaitReady();
            assertTrue(Files.readString(Path.of("/proc", Long.toString(again.pid()), "maps")).contains(archive.toString()),
                    "the second start maps " + archive);
            assertTrue(again.log().stream().noneMatch(l -> l.contains("[cds]")), again.logText());
            assertEquals(143, again.sigterm());
        }
    }

    @Test
    @Order(3)
    void aReinstallKeepsEditedSettings() throws Exception {
        Commands.run("dpkg", "-i", deb.toString());
        assertTrue(Files.readString(SETTINGS).contains("TCPTRACE_SINKS=file"), "the edited conffile is kept");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(SETTINGS)));
    }

    @Test
    @Order(4)
    void purgeLeavesOnlyTheSystemUser() throws Exception {
        Commands.run("dpkg", "--purge", PACKAGE);
        assertNotEquals(0, Commands.exec("dpkg-query", "-W", PACKAGE).exitCode(), "no longer known to dpkg");
        for (Path p : INSTALLED) {
            assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " removed");
        }
        for (Path p : List.of(Path.of("/etc/tcptrace"), Path.of("/usr/share/tcptrace"), STATE.get(0), STATE.get(1))) {
            assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " removed");
        }
        assertEquals(0, Commands.exec("id", "tcptrace").exitCode(), "the system user stays (Debian policy 9.2.2)");
    }

    /**
     * The unit's ExecStart= as systemd starts it: User=/Group=, exactly AmbientCapabilities= (also
     * the bounding set), NoNewPrivileges=, UMask=, Nice=, WorkingDirectory= and only the unit's
     * environment.
     */
    private static ProcessBuilder asTheUnit(SystemdUnit unit, Map<String, String> env) throws IOException {
        String caps = unit.words("AmbientCapabilities").stream()
                .map(c -> ",+" + c.substring("CAP_".length()).toLowerCase()).reduce("-all", String::concat);
        assertEquals("yes", unit.value("NoNewPrivileges"));
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "umask " + unit.value("UMask")
                + " && exec \"$@\"", "sh", "nice", "-n", unit.value("Nice"), "setpriv",
                "--reuid=" + unit.value("User"), "--regid=" + unit.value("Group"), "--init-groups", "--no-new-privs",
                "--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=" + caps, "--"));
        command.addAll(List.of(unit.value("ExecStart").split("\\s+")));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.directory(Path.of(unit.value("WorkingDirectory")).toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().putAll(env);
        return pb;
    }
}
