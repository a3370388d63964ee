package io.tcptrace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real file system of a few KiB (tmpfs with size=), mounted for one test and unmounted after:
 * writes fail with ENOSPC exactly as on a full disk, short writes included. Needs root to mount:
 * like the kernel tests, it skips with the reason where it cannot mount, and fails instead under
 * ./tcptrace test (-Dtcptrace.requireKernel=true).
 */
public final class SmallFileSystem implements AutoCloseable {
    private final Path mountPoint;

    public SmallFileSystem(Path parent, int kib) throws IOException, InterruptedException {
        mountPoint = Files.createDirectories(parent.resolve("small-fs"));
        String out = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + kib + "k,mode=0755", "tcptrace-test",
                mountPoint.toString()));
        if (out != null) {
            String why = "cannot mount a " + kib + " KiB tmpfs on " + mountPoint + " (run the tests as root): " + out;
            if (Boolean.getBoolean("tcptrace.requireKernel")) {
                throw new IllegalStateException(why);
            }
            Assumptions.abort("full-disk test skipped: " + why);
        }
    }

    public Path path() {
        return mountPoint;
    }

    /** Fills the file system to the last byte with a file of its own; delete it to make room again. */
    public Path fill() throws IOException {
        Path filler = mountPoint.resolve("filler");
        byte[] block = new byte[4096];
        try (var out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        return filler;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String out = run(List.of("umount", mountPoint.toString()));
        if (out != null) {
            run(List.of("umount", "-l", mountPoint.toString())); // busy: detach now, freed when closed
        }
    }

    /** Null on success, else the command's output. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + ": timed out";
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": " + out;
    }
}
