package io.tcptrace.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns {@code tcptrace.sinks} (e.g. {@code console,file}) into the route files to load and the
 * endpoints the source route sends to. A sink is any {@code routes/sink-NAME.yaml} whose route
 * starts {@code from: direct:sink-NAME}; sinks not chosen are not loaded at all, so they open
 * no files or connections.
 */
public record SinkSelection(List<String> names, List<Path> routeFiles) {

    public static SinkSelection resolve(Path routesDir, String sinksCsv) {
        if (!Files.isDirectory(routesDir)) {
            throw new IllegalArgumentException("routes directory " + routesDir.toAbsolutePath()
                    + " does not exist: run from the tcptrace directory or set TCPTRACE_ROUTES_DIR");
        }
        Set<String> names = new LinkedHashSet<>();
        for (String n : (sinksCsv == null ? "" : sinksCsv).split(",")) {
            if (!n.isBlank()) {
                names.add(n.trim());
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no sink chosen: set TCPTRACE_SINKS (tcptrace.sinks) to one or more of "
                    + available(routesDir));
        }
        List<Path> files = new ArrayList<>(sources(routesDir));
        for (String name : names) {
            Path file = routesDir.resolve("sink-" + name + ".yaml");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("unknown sink '" + name + "' in tcptrace.sinks: there is no "
                        + file + "; available: " + available(routesDir));
            }
            files.add(file);
        }
        return new SinkSelection(List.copyOf(names), List.copyOf(files));
    }

    /** The sinks' endpoints, for the source route's fan-out: {@code direct:sink-console,direct:sink-file}. */
    public String endpointUris() {
        return String.join(",", names.stream().map(n -> "direct:sink-" + n).toList());
    }

    /** Camel's routes-include-pattern for exactly these files. */
    public String includePattern() {
        return String.join(",", routeFiles.stream().map(p -> "file:" + p).toList());
    }

    private static List<Path> sources(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".yaml"))
                    .filter(p -> !p.getFileName().toString().startsWith("sink-")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static String available(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return String.join(", ", files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("sink-") && n.endsWith(".yaml"))
                    .map(n -> n.substring(5, n.length() - 5)).sorted().toList());
        } catch (IOException e) {
            return "(cannot list " + dir + ")";
        }
    }
}
