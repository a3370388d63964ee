package io.tcptrace.kernel;

import io.tcptrace.process.TestCgroup;
import io.tcptrace.process.TestProgram;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The test program's {@code --serve} mode in a child process: a real server of another process,
 * user and cgroup, that listens before the tracer starts and is told when to accept and when to
 * open another listener.
 */
final class ListeningChild implements AutoCloseable {
    final Process process;
    final int pid;
    final int port;
    private final BufferedReader out;
    private final PrintWriter in;

    /** Starts it, in {@code cgroup} unless null, as {@code uid} unless negative, listening on {@code address}. */
    ListeningChild(TestProgram program, TestCgroup cgroup, long uid, String address) throws IOException {
        this((cgroup == null ? "" : cgroup.enterCommand() + " && ") + "exec " + program.binary
                + (uid < 0 ? "" : " --uid " + uid) + " --serve " + address);
    }

    /** Starts it behind {@code prefix} (such as {@code ip netns exec NAME}), listening on {@code address:port}. */
    ListeningChild(TestProgram program, String prefix, String address, int port) throws IOException {
        this("exec " + prefix + " " + program.binary + " --serve " + address + " " + port);
    }

    private ListeningChild(String script) throws IOException {
        process = new ProcessBuilder("sh", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        pid = Integer.parseInt(line());
        port = Integer.parseInt(line());
    }

    /** Opens one more listener (after the tracer attached, the kernel learns it); its port. */
    int listen() throws IOException {
        in.println("listen");
        return Integer.parseInt(line());
    }

    /** Accepts the waiting connection, reads it to its end and closes it. */
    void acceptAndClose() throws IOException {
        in.println("accept");
        String reply = line();
        if (!reply.equals("closed")) {
            throw new IOException("the listening child answered: " + reply);
        }
    }

    private String line() throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IOException("the listening child ended (exit " + waitExit() + ")");
        }
        return line.strip();
    }

    private int waitExit() {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException {
        in.close();   // EOF: it exits
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
