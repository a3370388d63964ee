package io.tcptrace.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The directives of a systemd unit as systemd reads them for the test's purposes: repeated keys
 * accumulate, {@code Environment=} and an {@code EnvironmentFile=} give KEY=VALUE pairs.
 */
record SystemdUnit(List<String> lines) {
    static SystemdUnit read(Path file) throws IOException {
        return new SystemdUnit(Files.readAllLines(file));
    }

    /** Every value of the key, in order (empty when absent). */
    List<String> values(String key) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String l = line.strip();
            if (l.startsWith(key + "=")) {
                out.add(l.substring(key.length() + 1).strip());
            }
        }
        return out;
    }

    /** The single value of the key; fails when it is absent or repeated. */
    String value(String key) {
        List<String> v = values(key);
        if (v.size() != 1) {
            throw new AssertionError("the unit has " + v.size() + " " + key + "= lines, not one");
        }
        return v.get(0);
    }

    /** Words of every value of the key (as for AmbientCapabilities=). */
    List<String> words(String key) {
        List<String> out = new ArrayList<>();
        values(key).forEach(v -> out.addAll(Arrays.asList(v.split("\\s+"))));
        out.remove("");
        return out;
    }

    /** The environment the unit gives: Environment= lines, then the EnvironmentFile= (a leading - : optional). */
    Map<String, String> environment() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        values("Environment").forEach(v -> put(env, v));
        for (String file : values("EnvironmentFile")) {
            Path path = Path.of(file.replaceFirst("^-", ""));
            if (Files.exists(path)) {
                Files.readAllLines(path).stream().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(l -> put(env, l));
            } else if (!file.startsWith("-")) {
                throw new AssertionError("EnvironmentFile " + file + " is missing");
            }
        }
        return env;
    }

    private static void put(Map<String, String> env, String assignment) {
        int eq = assignment.indexOf('=');
        env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
    }
}
