package io.tcptrace.splunk.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Splunk .conf file, read strictly: {@code [stanza]} headers, {@code key = value} lines,
 * {@code #} comments, a trailing backslash continuing a value. Anything else, a stanza twice or a
 * key twice in one stanza is an error (Splunk would silently keep one of them).
 */
public record SplunkConf(Path file, Map<String, Map<String, String>> stanzas) {
    /** Settings before the first stanza header. */
    public static final String DEFAULT = "";
    private static final Pattern STANZA = Pattern.compile("^\\[(.*)]\\s*$");
    private static final Pattern SETTING = Pattern.compile("^([A-Za-z0-9_.:\\-]+(?:\\s*::\\s*[^=]+)?)\\s*=\\s?(.*)$");

    public static SplunkConf read(Path file) throws IOException {
        Map<String, Map<String, String>> stanzas = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        java.util.Set<String> headers = new java.util.HashSet<>();
        Map<String, String> current = new LinkedHashMap<>();
        stanzas.put(DEFAULT, current);
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int number = i + 1;
            while (line.endsWith("\\") && i + 1 < lines.size()) {
                line = line.substring(0, line.length() - 1) + "\n" + lines.get(++i);
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            Matcher stanza = STANZA.matcher(trimmed);
            if (stanza.matches()) {
                // [] (default.meta) names the global stanza, the one before any header.
                String name = stanza.group(1);
                if (!headers.add(name) || (name.equals(DEFAULT) && !stanzas.get(DEFAULT).isEmpty())) {
                    errors.add(file + ":" + number + ": stanza [" + name + "] appears twice");
                }
                current = name.equals(DEFAULT) ? stanzas.get(DEFAULT) : new LinkedHashMap<>();
                stanzas.put(name, current);
                continue;
            }
            Matcher setting = SETTING.matcher(line);
            if (!setting.matches() || Character.isWhitespace(line.charAt(0))) {
                errors.add(file + ":" + number + ": neither a stanza, a setting nor a comment: " + line);
                continue;
            }
            String key = setting.group(1).strip();
            if (current.put(key, setting.group(2).strip()) != null) {
                errors.add(file + ":" + number + ": key " + key + " set twice in its stanza");
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", errors));
        }
        if (stanzas.get(DEFAULT).isEmpty()) {
            stanzas.remove(DEFAULT);
        }
        return new SplunkConf(file, stanzas);
    }

    public Map<String, String> stanza(String name) {
        Map<String, String> s = stanzas.get(name);
        if (s == null) {
            throw new AssertionError(file + " has no stanza [" + name + "]; it has " + stanzas.keySet());
        }
        return s;
    }
}
