package io.tcptrace.kernel.btf;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bpftool btf dump file F} (raw format) parsed: libbpf's reading of the same BTF, as the
 * reference the reader is compared with. Types, and the members of structs and unions.
 */
final class BpftoolDump {
    record Member(String name, int typeId, long bitOffset, int bitfieldSize) {
    }

    record Type(int id, String kind, String name, long size, int typeId, long nrElems, List<Member> members) {
    }

    private static final Pattern TYPE = Pattern.compile("^\\[(\\d+)] (\\w+) '(.*?)'(.*)$");
    private static final Pattern MEMBER =
            Pattern.compile("^\\t'(.*)' type_id=(\\d+) bits_offset=(\\d+)(?: bitfield_size=(\\d+))?$");
    private static final Pattern SIZE = Pattern.compile(" size=(\\d+)");
    private static final Pattern TYPE_ID = Pattern.compile(" type_id=(\\d+)");
    private static final Pattern NR_ELEMS = Pattern.compile(" nr_elems=(\\d+)");

    /** Index = type id; [0] is null (void). */
    final List<Type> types = new ArrayList<>();

    static BpftoolDump of(Path btf) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bpftool", "btf", "dump", "file", btf.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BpftoolDump dump = new BpftoolDump();
        dump.types.add(null);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Type current = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Matcher t = TYPE.matcher(line);
                if (t.matches()) {
                    int id = Integer.parseInt(t.group(1));
                    if (id != dump.types.size()) {
                        fail("bpftool listed type " + id + " after " + (dump.types.size() - 1));
                    }
                    String rest = t.group(4);
                    current = new Type(id, t.group(2), t.group(3).equals("(anon)") ? "" : t.group(3),
                            number(SIZE, rest), (int) number(TYPE_ID, rest), number(NR_ELEMS, rest), new ArrayList<>());
                    dump.types.add(current);
                    continue;
                }
                Matcher m = MEMBER.matcher(line);
                if (m.matches() && current != null && (current.kind().equals("STRUCT") || current.kind().equals("UNION"))) {
                    current.members().add(new Member(m.group(1).equals("(anon)") ? "" : m.group(1),
                            Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                            m.group(4) == null ? 0 : Integer.parseInt(m.group(4))));
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("bpftool btf dump file " + btf + " failed");
        }
        return dump;
    }

    private static long number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    Type type(int id) {
        return types.get(id);
    }

    int typeCount() {
        return types.size() - 1;
    }

    /** The single STRUCT of that name, as bpftool lists it. */
    Type struct(String name) {
        List<Type> found = types.stream().filter(t -> t != null && t.kind().equals("STRUCT") && t.name().equals(name))
                .toList();
        if (found.size() != 1) {
            fail("bpftool lists " + found.size() + " structs named " + name);
        }
        return found.get(0);
    }

    /** Drops typedefs and qualifiers. */
    Type unalias(int id) {
        Type t = type(id);
        while (List.of("TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG").contains(t.kind())) {
            t = type(t.typeId());
        }
        return t;
    }

    long sizeOf(int id) {
        Type t = unalias(id);
        return switch (t.kind()) {
            case "PTR" -> 8;
            case "ARRAY" -> t.nrElems() * sizeOf(t.typeId());
            default -> t.size();
        };
    }

    /** Bit offset of a dotted member path in the named struct, stepping into anonymous members. */
    long bitOffset(String struct, String path) {
        Type t = struct(struct);
        long bits = 0;
        for (String step : path.split("\\.")) {
            long[] found = find(t, step);
            if (found == null) {
                fail("bpftool shows no member " + step + " in " + t);
            }
            bits += found[0];
            t = unalias((int) found[1]);
        }
        return bits;
    }

    /** Size of the member's type at the end of the path. */
    long size(String struct, String path) {
        Type t = struct(struct);
        int type = t.id();
        for (String step : path.split("\\.")) {
            type = (int) find(t, step)[1];
            t = unalias(type);
        }
        return sizeOf(type);
    }

    private long[] find(Type composite, String name) {
        for (Member m : composite.members()) {
            if (m.name().equals(name)) {
                return new long[] {m.bitOffset(), m.typeId()};
            }
            Type inner = unalias(m.typeId());
            if (m.name().isEmpty() && (inner.kind().equals("STRUCT") || inner.kind().equals("UNION"))) {
                long[] f = find(inner, name);
                if (f != null) {
                    return new long[] {m.bitOffset() + f[0], f[1]};
                }
            }
        }
        return null;
    }
}
