package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The application in a child JVM, configured only by environment variables as an operator
 * would, with its log collected. The management server gets a free port.
 */
public final class TracerProcess implements AutoCloseable {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final Pattern STOPPED = Pattern.compile("stopped after (\\d+) events from the kernel, (\\d+) lost");

    private final Process process;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Boolean> ready = new CompletableFuture<>();
    private final Thread reader;
    private final long spawnedNanos = System.nanoTime();
    private volatile long readyNanos;
    public final int managementPort;

    private TracerProcess(List<String> command, Map<String, String> env) throws IOException {
        this(withEnvironment(new ProcessBuilder(command), env));
    }

    private static ProcessBuilder withEnvironment(ProcessBuilder pb, Map<String, String> env) {
        Map<String, String> e = pb.environment();
        e.put("TCPTRACE_ROUTES_DIR", YamlRoutesTestSupport.ROUTES.toString());
        e.put("TCPTRACE_CACHE_DIR", System.getProperty("java.io.tmpdir") + "/tcptrace-test-cache");
        e.putAll(env);
        return pb;
    }

    private TracerProcess(ProcessBuilder pb) throws IOException {
        managementPort = freePort();
        pb.environment().putIfAbsent("CAMEL_MANAGEMENT_PORT", Integer.toString(managementPort));
        pb.redirectErrorStream(true);
        process = pb.start();
        reader = new Thread(this::readLog, "tracer-log");
        reader.start();
    }

    /** Starts the tracer and waits until it says it is ready. */
    public static TracerProcess start(Map<String, String> env) throws Exception {
        return start(List.of(JAVA, "-cp", System.getProperty("java.class.path"), TcptraceMain.class.getName()), env);
    }

    /** Starts the tracer behind a command prefix (such as {@code unshare --pid --fork --mount-proc}) and waits until it is ready. */
    public static TracerProcess startBehind(List<String> prefix, Map<String, String> env) throws Exception {
        return start(command(prefix, System.getProperty("java.class.path")), env);
    }

    /** Starts the packaged application, {@code java OPTS -jar JAR}, and waits until it is ready. */
    public static TracerProcess startJar(Path jar, List<String> jvmOptions, Map<String, String> env) throws Exception {
        return startJar(List.of(), jar, jvmOptions, env);
    }

    /** The same behind a command prefix such as {@code nice -n 10}. */
    public static TracerProcess startJar(List<String> prefix, Path jar, List<String> jvmOptions,
            Map<String, String> env) throws Exception {
        List<String> command = new java.util.ArrayList<>(prefix);
        command.add(JAVA);
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        return start(command, env);
    }

    private static TracerProcess start(List<String> command, Map<String, String> env) throws Exception {
        TracerProcess t = new TracerProcess(command, new HashMap<>(env));
        t.ready.get(io.tcptrace.KernelTestSupport.scaled(60), TimeUnit.SECONDS);   // 10 min under the emulator
        assertTrue(t.process.isAlive(), "tracer exited early:\n" + t.logText());
        return t;
    }

    /** {@code prefix} (e.g. setpriv and its options), then this JVM's java running {@link TcptraceMain} on {@code classPath}. */
    static List<String> command(List<String> prefix, String classPath) {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of(JAVA, "-cp", classPath, TcptraceMain.class.getName()));
        return cmd;
    }

    /** Starts exactly this process (its environment as given) without waiting for it to be ready. */
    public static TracerProcess start(ProcessBuilder pb) throws IOException {
        return new TracerProcess(pb);
    }

    /** Waits until the process says it is ready; fails with its log if it does not. */
    public void awaitReady() throws Exception {
        assertTrue(ready.get(io.tcptrace.KernelTestSupport.scaled(60), TimeUnit.SECONDS) && process.isAlive(),
                "tracer not ready:\n" + logText());
    }

    /** Waits until a line contains {@code fragment}; false when the process ended or the time ran out first. */
    boolean awaitLine(String fragment, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (log.stream().anyMatch(l -> l.contains(fragment))) {
                return true;
            }
            if (!reader.isAlive()) {
                return log.stream().anyMatch(l -> l.contains(fragment));
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Waits for the exit and the last of its output. */
    boolean waitFor(java.time.Duration timeout) throws InterruptedException {
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (ended) {
            reader.join(5000);
        }
        return ended;
    }

    Process process() {
        return process;
    }

    private void readLog() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                log.add(line);
                if (line.contains("tcptrace ready")) {
                    readyNanos = System.nanoTime();
                    ready.complete(true);
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
        ready.complete(false);
    }

    /** SIGTERM (Process.destroy() would also close our end of its output), then waits for the exit. */
    public int sigterm() throws InterruptedException {
        process.toHandle().destroy();
        return awaitExit();
    }

    /** SIGKILL: no shutdown at all. */
    public int kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        return awaitExit();
    }

    private int awaitExit() throws InterruptedException {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tracer did not stop:\n" + logText());
        reader.join(5000);
        return process.exitValue();
    }

    /** Seconds from spawning the JVM until it logged that it is ready (probes attached, sinks up). */
    public double secondsToReady() {
        return (readyNanos - spawnedNanos) / 1e9;
    }

    /** Resident memory now (VmRSS), in MB; -1 once the process is gone. */
    public double rssMb() {
        List<String> status;
        try {
            status = java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"));
        } catch (IOException e) {
            return -1;
        }
        for (String line : status) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return -1;
    }

    public long pid() {
        return process.pid();
    }

    public List<String> log() {
        return log;
    }

    public String logText() {
        return String.join("\n", log);
    }

    /** Events read from the kernel, from the consumer's last log line; -1 if it never logged one. */
    public long eventsReadAtStop() {
        for (String line : log) {
            Matcher m = STOPPED.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return -1;
    }

    public String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
