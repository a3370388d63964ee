package io.tcptrace.splunk.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Splunk's search time makes of one event with a props.conf stanza, for the settings this
 * app uses: the JSON's fields (KV_MODE = json, top-level values only), then FIELDALIAS-*, then
 * EVAL-* (Splunk's order: aliases before calculated fields, each EVAL reading the fields as they
 * were before any EVAL). The EVAL expressions are evaluated by a small interpreter of the part of
 * SPL's eval they use: string and number literals, fields, the {@code .} concatenation and the
 * functions coalesce, nullif, replace, if, isnull, isnotnull. An expression outside that part
 * fails the test, so a new EVAL cannot go unchecked.
 */
final class SearchTimeFields {
    private SearchTimeFields() {
    }

    /** The fields of an event after {@code stanza}'s aliases and evals; null values are absent. */
    static Map<String, Object> apply(Map<String, String> stanza, Map<String, Object> json) {
        Map<String, Object> fields = new LinkedHashMap<>(json);
        for (var e : stanza.entrySet()) {
            if (e.getKey().startsWith("FIELDALIAS-")) {
                String[] parts = e.getValue().trim().split("\\s+(?i:as)\\s+");
                if (parts.length != 2) {
                    throw new AssertionError("FIELDALIAS not of the form 'a AS b': " + e.getValue());
                }
                Object v = json.get(parts[0].trim());
                if (v != null) {
                    fields.put(parts[1].trim(), v);
                }
            }
        }
        Map<String, Object> before = new LinkedHashMap<>(fields);
        for (var e : stanza.entrySet()) {
            if (e.getKey().startsWith("EVAL-")) {
                String name = e.getKey().substring("EVAL-".length());
                Object v = new Parser(e.getValue(), before).parse();
                if (v == null) {
                    fields.remove(name);
                } else {
                    fields.put(name, v);
                }
            }
        }
        return fields;
    }

    /** Recursive descent over: expr := term (('.' | '+') term)*; term := string | number | name | name '(' expr,* ')'. */
    private static final class Parser {
        private final String s;
        private final Map<String, Object> fields;
        private int i;

        Parser(String s, Map<String, Object> fields) {
            this.s = s;
            this.fields = fields;
        }

        Object parse() {
            Object v = expr();
            skip();
            if (i != s.length()) {
                throw new AssertionError("cannot evaluate '" + s + "' past position " + i);
            }
            return v;
        }

        private Object expr() {
            Object v = term();
            while (true) {
                skip();
                if (i < s.length() && s.charAt(i) == '.') {
                    i++;
                    Object right = term();
                    v = v == null || right == null ? null : text(v) + text(right);
                } else if (i < s.length() && s.charAt(i) == '+') {
                    i++;
                    Object right = term();
                    // SPL: numbers add, anything else concatenates; a missing side gives no value
                    v = v == null || right == null ? null : v instanceof Number a && right instanceof Number b
                            ? (Object) (a.doubleValue() + b.doubleValue()) : text(v) + text(right);
                } else {
                    return v;
                }
            }
        }

        private Object term() {
            skip();
            char c = s.charAt(i);
            if (c == '"') {
                StringBuilder b = new StringBuilder();
                for (i++; s.charAt(i) != '"'; i++) {
                    b.append(s.charAt(i) == '\\' ? s.charAt(++i) : s.charAt(i));
                }
                i++;
                return b.toString();
            }
            if (Character.isDigit(c)) {
                int start = i;
                while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                    i++;
                }
                return Double.parseDouble(s.substring(start, i));
            }
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                i++;
            }
            String name = s.substring(start, i);
            skip();
            if (i < s.length() && s.charAt(i) == '(') {
                i++;
                List<Object> args = new ArrayList<>();
                skip();
                while (s.charAt(i) != ')') {
                    args.add(expr());
                    skip();
                    if (s.charAt(i) == ',') {
                        i++;
                    }
                    skip();
                }
                i++;
                return call(name, args);
            }
            return fields.get(name);
        }

        private Object call(String name, List<Object> a) {
            return switch (name) {
                case "coalesce" -> a.stream().filter(java.util.Objects::nonNull).findFirst().orElse(null);
                case "nullif" -> a.get(0) != null && text(a.get(0)).equals(text(a.get(1))) ? null : a.get(0);
                case "replace" -> a.get(0) == null ? null : text(a.get(0)).replaceAll(text(a.get(1)), text(a.get(2)));
                case "if" -> Boolean.TRUE.equals(a.get(0)) ? a.get(1) : a.get(2);
                case "isnull" -> a.get(0) == null;
                case "isnotnull" -> a.get(0) != null;
                default -> throw new AssertionError("eval function " + name + " is not evaluated here: add it");
            };
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        /** A value as eval's string concatenation shows it: 4.0 is "4". */
        private static String text(Object v) {
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
                return Long.toString(n.longValue());
            }
            return v.toString();
        }
    }
}
