package io.tcptrace.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A fresh copy of src/test/resources/process/print-pid.c, compiled with gcc to a unique path, so
 * the test can recognise its process by path alone. It prints its pid and exits.
 */
public final class TestProgram implements AutoCloseable {
    public final Path dir;
    public final Path binary;

    public TestProgram() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("tcptrace-proc-");
        Path source = dir.resolve("print-pid.c");
        try (InputStream in = TestProgram.class.getResourceAsStream("/process/print-pid.c")) {
            Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
        }
        binary = dir.resolve("print-pid-" + UUID.randomUUID().toString().substring(0, 8));
        Process gcc = new ProcessBuilder("gcc", "-O1", "-o", binary.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc failed: " + out);
        }
    }

    /** A started program and the pid it printed. */
    public record Run(Process process, int pid) {
    }

    /** Runs {@code sh -c script} and returns the sh and the pid the program printed. */
    public static Run sh(String script) throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("sh", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            sh.waitFor();
            throw new IOException("sh -c '" + script + "' printed no pid (exit " + sh.exitValue() + ")");
        }
        return new Run(sh, Integer.parseInt(line.strip()));
    }

    /** Starts the program with {@code --wait args}: it lives until {@link Process#getOutputStream()} closes. */
    public Run startWaiting(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(binary.toString(), "--wait"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        return new Run(p, Integer.parseInt(line.strip()));
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
