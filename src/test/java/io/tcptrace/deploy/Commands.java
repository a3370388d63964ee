package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system's own tools (dpkg, umoci, runc) as an operator would, with their output kept. */
final class Commands {
    private Commands() {
    }

    record Result(int exitCode, String output) {
    }

    /** Runs the command; its exit code and its output, stderr included. */
    static Result exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not end in 300 s:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Runs the command and requires exit code 0; returns its output. */
    static String run(String... command) throws IOException, InterruptedException {
        Result r = exec(command);
        assertEquals(0, r.exitCode(), () -> String.join(" ", command) + " failed:\n" + r.output());
        return r.output();
    }
}
