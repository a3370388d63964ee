package io.tcptrace.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** bench/connect-burst.c, built with the machine's gcc: N refused connects to one port, flat out or paced. */
final class LoadGenerator {
    private static final Pattern RESULT = Pattern.compile("connects=(\\d+) seconds=([\\d.]+) rate=(\\d+) failed=(\\d+)");

    record Result(long connects, double seconds, long rate, long failed) {
    }

    private final Path binary;

    private LoadGenerator(Path binary) {
        this.binary = binary;
    }

    static LoadGenerator build(Path source, Path binary) throws IOException, InterruptedException {
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString()).inheritIO().start();
        if (gcc.waitFor() != 0) {
            throw new IllegalStateException("gcc could not build " + source);
        }
        return new LoadGenerator(binary);
    }

    /** Runs to the end; rate 0 means as fast as one thread can. */
    Result run(int port, long count, long rate) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "127.0.0.1", Integer.toString(port),
                Long.toString(count)));
        if (rate > 0) {
            cmd.add(Long.toString(rate));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("connect-burst failed: " + out);
        }
        Matcher m = RESULT.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("unexpected connect-burst output: " + out);
        }
        return new Result(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)));
    }
}
