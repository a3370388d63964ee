package io.tcptrace.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.camel.BccConstants;
import io.tcptrace.sink.JsonLinesFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection data is not for every local user: the spool (0600 files, 0700 directories) and the
 * events file (0640, 0750) get their modes whatever the umask. The writers run in a child JVM
 * started with umask 000, where anything created without an explicit mode is 0666 or 0777.
 */
class FileModesTest {
    @TempDir
    Path tmp;

    /** The child: creates every kind of file the spool and the file sink make, under args[0]. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path base = Path.of(args[0]);
            Files.writeString(base.resolve("control"), "made without a mode: shows the umask");

            Spool spool = new Spool(base.resolve("spool/splunk/spool"), Long.MAX_VALUE);
            List<byte[]> records = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                records.add(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
            }
            spool.append(records);
            spool.flush();
            spool.seal();
            spool.prepend(records.subList(0, 10));
            Spool.Chunk c = spool.read(5, 1 << 20).orElseThrow();
            spool.commit(c, 3); // a cursor file
            spool.append(records.subList(0, 1));
            spool.flush(); // current.open
            Path segment;
            try (Stream<Path> s = Files.list(spool.dir())) {
                segment = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList().get(1);
            }
            spool.commit(c, c.records().size());
            spool.commit(spool.read(100, 1 << 20).orElseThrow(), 10); // the prepended segment, done
            // Garbage in a segment found at start (this instance trusts what it sealed itself).
            Files.writeString(segment, "not json\n" + Files.readString(segment));
            spool.close();
            spool = new Spool(base.resolve("spool/splunk/spool"), Long.MAX_VALUE);
            spool.commit(spool.read(5, 1 << 20).orElseThrow(), 2); // sets the bad line aside; a cursor again
            spool.append(records.subList(0, 1));
            spool.flush(); // current.open again (the restart sealed the last one)
            spool.close();

            DefaultCamelContext context = new DefaultCamelContext();
            JsonLinesFile file = new JsonLinesFile();
            file.setPath(base.resolve("data/events/tcp-connect.jsonl").toString());
            file.setMaxBytes(20); // rotates after two lines
            file.open();
            for (int i = 0; i < 5; i++) {
                Exchange e = new DefaultExchange(context);
                e.getMessage().setBody(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                e.getMessage().setHeader(BccConstants.BATCH_END, true);
                file.process(e);
            }
            file.close();
        }
    }

    @Test
    void spoolAndEventFilesGetTheirModesUnderUmask000() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("sh", "-c", "umask 000; exec \"$0\" -cp \"$1\" \"$2\" \"$3\"", java,
                System.getProperty("java.class.path"), Child.class.getName(), tmp.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);

        assertEquals("rw-rw-rw-", mode(tmp.resolve("control")), "the child really ran with umask 000");
        Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(tmp)) {
            for (Path f : all.filter(f -> !f.equals(tmp) && !f.endsWith("control")).toList()) {
                modes.put(tmp.relativize(f).toString(), mode(f));
            }
        }
        Map<String, String> spool = new TreeMap<>(modes);
        spool.keySet().removeIf(k -> !k.startsWith("spool"));
        assertTrue(spool.keySet().stream().anyMatch(k -> k.endsWith(".cursor")), modes.toString());
        assertTrue(spool.keySet().stream().anyMatch(k -> k.endsWith("current.open")), modes.toString());
        assertTrue(spool.keySet().stream().anyMatch(k -> k.endsWith(Spool.CORRUPT)), modes.toString());
        assertTrue(spool.keySet().stream().filter(k -> k.endsWith(".jsonl")).count() >= 1, modes.toString());
        spool.forEach((name, mode) -> assertEquals(Files.isDirectory(tmp.resolve(name)) ? "rwx------" : "rw-------",
                mode, name));

        Map<String, String> data = new TreeMap<>(modes);
        data.keySet().removeIf(k -> !k.startsWith("data"));
        assertTrue(data.keySet().stream().filter(k -> k.endsWith(".jsonl")).count() >= 3, "rotated too: " + data);
        data.forEach((name, mode) -> assertEquals(Files.isDirectory(tmp.resolve(name)) ? "rwxr-x---" : "rw-r-----",
                mode, name));
    }

    @Test
    void theServiceUnitSetsAUmask() throws Exception {
        Path unit = Path.of(System.getProperty("tcptrace.home", "."), "deploy", "tcptrace.service");
        assertTrue(Files.readAllLines(unit).contains("UMask=0027"), "deploy/tcptrace.service has UMask=0027");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
