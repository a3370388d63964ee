package io.tcptrace.splunk.app;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The field names a search (SPL) or eval expression refers to. Not a full SPL parser: it relies
 * on the app's own discipline that every literal value is quoted ({@code event_type="close"}),
 * so every unquoted word is either SPL (a command, function or keyword, listed here) or a field.
 * A word that is neither is reported, which is how a misspelt or removed field is caught.
 */
public final class SplFields {
    /** SPL commands, keywords and functions the app's searches use. A new one must be added here. */
    static final Set<String> SPL = Set.of(
            // commands
            "search", "stats", "timechart", "chart", "eval", "where", "table", "sort", "head", "top", "rare",
            "fields", "rename", "dedup", "bin", "fillnull",
            // keywords and options
            "by", "as", "and", "or", "not", "in", "limit", "span", "useother", "usenull", "value",
            // functions
            "count", "dc", "sum", "avg", "min", "max", "perc50", "perc95", "perc99", "values", "latest", "earliest",
            "if", "coalesce", "isnotnull", "isnull", "nullif", "round", "replace", "case", "tostring", "tonumber",
            "now", "relative_time");
    /** Fields every Splunk event has. */
    static final Set<String> SPLUNK_FIELDS = Set.of("_time", "_raw", "host", "source", "sourcetype", "index",
            "eventtype", "tag", "linecount", "splunk_server");

    private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern WORD = Pattern.compile("(?<![\\w.])[A-Za-z_][A-Za-z0-9_]*(?![\\w])");
    private static final Pattern AS = Pattern.compile("(?i)\\bas\\s+([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern EVAL = Pattern.compile("(?i)\\beval\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*=");
    private static final Pattern MACRO = Pattern.compile("`([^`]+)`");
    private static final Pattern TOKEN = Pattern.compile("\\$[^$]+\\$");
    private static final Pattern LITERAL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*!?=\\s*\"([^\"]*)\"");

    private SplFields() {
    }

    /** Macro names used in the search, in order. */
    public static Set<String> macros(String spl) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = MACRO.matcher(spl);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Names the search creates itself ({@code as x}, {@code eval x=}). */
    public static Set<String> defined(String spl) {
        Set<String> names = new LinkedHashSet<>();
        String s = strip(spl);
        for (Pattern p : new Pattern[] {AS, EVAL}) {
            Matcher m = p.matcher(s);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** Every unquoted word that is not SPL: the fields the search reads or writes. */
    public static Set<String> words(String spl) {
        Set<String> words = new LinkedHashSet<>();
        Matcher m = WORD.matcher(strip(spl));
        while (m.find()) {
            String w = m.group();
            if (!SPL.contains(w.toLowerCase(java.util.Locale.ROOT))) {
                words.add(w);
            }
        }
        return words;
    }

    /** {@code field="value"} and {@code field!="value"} pairs, for checking values against the schema. */
    public static Map<String, Set<String>> literals(String spl) {
        Map<String, Set<String>> pairs = new LinkedHashMap<>();
        Matcher m = LITERAL.matcher(TOKEN.matcher(spl).replaceAll(""));
        while (m.find()) {
            pairs.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>()).add(m.group(2));
        }
        return pairs;
    }

    private static String strip(String spl) {
        String s = MACRO.matcher(spl).replaceAll(" ");
        s = TOKEN.matcher(s).replaceAll(" ");
        return QUOTED.matcher(s).replaceAll(" ");
    }
}
