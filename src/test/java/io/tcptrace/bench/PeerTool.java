package io.tcptrace.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A peer tracer from the distribution (bpftrace, libbpf-tools), started as a user would, its
 * stdout redirected to a file (so block-buffered by its C library, as it would be in use).
 */
final class PeerTool implements TracerUnderTest {
    /** One line per connect outcome: the socket leaves SYN_SENT (2), whatever it goes to. */
    static final String BPFTRACE_PROGRAM = "tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->oldstate == 2/"
            + " { printf(\"%llu %d %s %s %d %s %d %d\\n\", nsecs, pid, comm, ntop(args->saddr), args->sport,"
            + " ntop(args->daddr), args->dport, args->newstate); }";
    private static final Pattern LOST = Pattern.compile("(?i)lost (\\d+) events");

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;
    private final int[] portColumns;

    private PeerTool(String name, Process process, Path out, Path err, int[] portColumns) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
        this.portColumns = portColumns;
    }

    /**
     * Starts {@code command} and waits until its probes are attached. {@code portColumns}: the
     * whitespace-separated columns of its output lines that hold the local and remote port.
     */
    static PeerTool start(String name, List<String> command, int[] portColumns, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        PeerTool tool = new PeerTool(name, p, out, err, portColumns);
        tool.awaitAttached();
        return tool;
    }

    /** Attached once its main thread waits in epoll_wait (it polls its buffers), twice in a row. */
    private void awaitAttached() throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        int seen = 0;
        while (seen < 2) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited at start: " + Files.readString(err));
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException(name + " did not start polling within 60 s: " + Files.readString(err));
            }
            seen = ProcStat.waitsInEpoll(process.pid()) ? seen + 1 : 0;
            Thread.sleep(100);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    /** The sum of its "lost N events" lines (libbpf-tools: stderr; bpftrace: stdout), so far written. */
    @Override
    public long lost() throws IOException {
        return lostIn(err) + lostIn(out);
    }

    private static long lostIn(Path file) throws IOException {
        long n = 0;
        try (var lines = Files.lines(file, StandardCharsets.ISO_8859_1)) {
            for (String line : (Iterable<String>) lines::iterator) {
                Matcher m = LOST.matcher(line);
                if (m.find()) {
                    n += Long.parseLong(m.group(1));
                }
            }
        }
        return n;
    }

    /** SIGINT, as Ctrl-C: the tools flush their output and exit (SIGTERM would lose what stdio buffers). */
    @Override
    public void stop() throws Exception {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not stop on SIGINT");
        }
    }

    @Override
    public long records(int port) throws IOException {
        String p = Integer.toString(port);
        long n = 0;
        try (var lines = Files.lines(out, StandardCharsets.ISO_8859_1)) {
            for (String line : (Iterable<String>) lines::iterator) {
                String[] f = line.trim().split("\\s+");
                for (int c : portColumns) {
                    if (c < f.length && f[c].equals(p)) {
                        n++;
                        break;
                    }
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
