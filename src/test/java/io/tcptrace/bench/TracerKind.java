package io.tcptrace.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A tracer the benchmark can start, by name: {@code tcptrace-niceN} (the packaged tracer at nice
 * N, file sink; {@code tcptrace-niceN+splunk}: file and Splunk sinks; {@code +nonames}: dest_host off), {@code bpftrace} (a one-liner on the tracepoint tcptrace uses), and libbpf-tools'
 * {@code tcpstates} and {@code tcplife} (C, CO-RE), as Debian installs them.
 */
record TracerKind(String name, String records, String missing, Starter starter) {
    /** Suffix of a tcptrace variant with the Splunk sink beside the file sink: {@code tcptrace-nice10+splunk}. */
    static final String SPLUNK = "+splunk";
    /** Suffix of a tcptrace variant with destination names off: {@code tcptrace-nice0+nonames}. */
    static final String NO_NAMES = "+nonames";

    interface Starter {
        TracerUnderTest start(Path dir) throws Exception;
    }

    boolean available() {
        return missing == null;
    }

    TracerUnderTest start(Path dir) throws Exception {
        return starter.start(dir.resolve(name));
    }

    static TracerKind named(String name, Path jar, List<String> jvmOptions) {
        if (name.startsWith("tcptrace-nice")) {
            boolean noNames = name.endsWith(NO_NAMES);
            String level = name.substring("tcptrace-nice".length(), name.length() - (noNames ? NO_NAMES.length() : 0));
            boolean splunk = level.endsWith(SPLUNK);
            int nice = Integer.parseInt(splunk ? level.substring(0, level.length() - SPLUNK.length()) : level);
            return new TracerKind(name, "one JSON event per connect outcome (and per accept and close, if it emits them)"
                    + (splunk ? "; the same events also to the Splunk sink (HEC receiver in the benchmark's JVM),"
                    + " counted in the file" : ""),
                    null, dir -> TcptraceUnderTest.start(name, nice, splunk, jar, jvmOptions, dir,
                            noNames ? java.util.Map.of("TCPTRACE_DEST_HOST", "false") : java.util.Map.of()));
        }
        switch (name) {
            case "bpftrace": {
                Optional<Path> bin = onPath("bpftrace");
                return new TracerKind(name, "one line per connect outcome", bin.isEmpty() ? "bpftrace not on PATH" : null,
                        dir -> PeerTool.start(name, List.of(bin.get().toString(), "-e", PeerTool.BPFTRACE_PROGRAM),
                                new int[] {4, 6}, dir));
            }
            case "tcpstates":
            case "tcplife": {
                Optional<Path> bin = libbpfTool(name);
                // Output columns: tcpstates SKADDR PID COMM LADDR LPORT RADDR RPORT ...; tcplife PID COMM LADDR LPORT RADDR RPORT ...
                int[] ports = name.equals("tcpstates") ? new int[] {4, 6} : new int[] {3, 5};
                String records = name.equals("tcpstates")
                        ? "one line per state change: 2 per refused connect, 10 per established connection (both ends)"
                        : "one line per socket closed: 1 per refused connect, 2 per established connection (both ends)";
                return new TracerKind(name, records, bin.isEmpty() ? "libbpf-tools' " + name + " not installed" : null,
                        dir -> PeerTool.start(name, List.of(bin.get().toString()), ports, dir));
            }
            default:
                throw new IllegalArgumentException("unknown tracer '" + name
                        + "': use tcptrace-niceN, tcptrace-niceN+splunk, bpftrace, tcpstates or tcplife");
        }
    }

    /** Where the libbpf-tools package put the tool (Debian: /usr/sbin/NAME). */
    private static Optional<Path> libbpfTool(String tool) {
        try {
            Process p = new ProcessBuilder("dpkg", "-L", "libbpf-tools").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Optional<Path> listed = out.lines().filter(l -> l.endsWith("/" + tool)).map(Path::of)
                    .filter(Files::isExecutable).findFirst();
            if (p.waitFor() == 0 && listed.isPresent()) {
                return listed;
            }
        } catch (Exception e) {
            // no dpkg: fall through to the usual place
        }
        Path usual = Path.of("/usr/sbin", tool);
        return Files.isExecutable(usual) ? Optional.of(usual) : Optional.empty();
    }

    private static Optional<Path> onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
