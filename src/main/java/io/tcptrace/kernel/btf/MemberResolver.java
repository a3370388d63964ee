package io.tcptrace.kernel.btf;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Answers "where is member path X in struct Y" from a {@link Btf}, the way C resolves
 * {@code y.a.b}: each step names a member of the current struct or union, either directly or
 * inside an anonymous struct/union member (any depth), e.g. {@code sock_common.skc_num} sits in an
 * anonymous struct inside an anonymous union. A step never goes through a pointer: the member
 * would then live in another object.
 */
public final class MemberResolver {
    private final Btf btf;
    /** Struct name to its definitions: each lookup by name scans all types, so once per name. */
    private final Map<String, int[]> byName = new HashMap<>();

    public MemberResolver(Btf btf) {
        this.btf = btf;
    }

    /** Names the BTF in messages. */
    public String source() {
        return btf.source();
    }

    /** {@code dotted} is {@code struct.member[.member...]}, e.g. {@code tcp_sock.bytes_acked}. */
    public BtfMember member(String dotted) {
        int dot = dotted.indexOf('.');
        if (dot <= 0 || dot == dotted.length() - 1) {
            throw new IllegalArgumentException("member path '" + dotted + "' is not of the form struct.member");
        }
        return member(dotted.substring(0, dot), dotted.substring(dot + 1));
    }

    /**
     * The member at {@code path} (dot-separated) in the struct or union named {@code struct}. When
     * several types carry that name (distinct definitions in different compilation units), they
     * must agree on the answer.
     */
    public BtfMember member(String struct, String path) {
        int[] candidates = byName.computeIfAbsent(struct, btf::findComposites);
        if (candidates.length == 0) {
            throw new BtfException("struct " + struct + " is not in the kernel's BTF (" + btf.source() + ")");
        }
        String[] steps = path.split("\\.", -1);
        BtfMember answer = null;
        BtfException firstMiss = null;
        for (int id : candidates) {
            BtfMember found;
            try {
                found = walk(struct, path, id, steps);
            } catch (BtfException e) {
                if (firstMiss == null) {
                    firstMiss = e;
                }
                continue;
            }
            if (answer == null) {
                answer = found;
            } else if (answer.bitOffset() != found.bitOffset() || answer.size() != found.size()) {
                throw new BtfException("struct " + struct + " has several definitions in " + btf.source()
                        + " that disagree on " + path + " (" + answer + " and " + found + ")");
            }
        }
        if (answer == null) {
            throw firstMiss;
        }
        return answer;
    }

    private BtfMember walk(String struct, String path, int structId, String[] steps) {
        long bits = 0;
        int bitfield = 0;
        int type = structId;
        StringBuilder walked = new StringBuilder(struct);
        for (String step : steps) {
            int composite = btf.skipAliases(type);
            if (composite == 0 || !btf.kind(composite).isComposite()) {
                throw new BtfException(walked + " is " + describe(composite) + ", not a struct or union, in "
                        + btf.source() + ": the path " + struct + "." + path + " cannot go through it");
            }
            if (step.isEmpty()) {
                throw new IllegalArgumentException("member path '" + struct + "." + path + "' has an empty step");
            }
            Found f = find(composite, step.getBytes(StandardCharsets.UTF_8));
            if (f == null) {
                throw new BtfException((walked.toString().equals(struct) ? "struct " + struct
                        : walked + " (" + describe(composite) + ")") + " has no member " + step + " in the kernel's BTF ("
                        + btf.source() + ")");
            }
            bits += f.bitOffset;
            bitfield = f.bitfieldBits;
            type = f.typeId;
            walked.append('.').append(step);
        }
        return new BtfMember(struct, path, bits, bitfield, btf.sizeOf(type), type);
    }

    private record Found(long bitOffset, int bitfieldBits, int typeId) {
    }

    /** Searches {@code composite}'s members, descending into anonymous struct/union members. */
    private Found find(int composite, byte[] name) {
        boolean kindFlag = btf.kindFlag(composite);
        for (int i = 0, n = btf.vlen(composite); i < n; i++) {
            int nameOff = btf.memberNameOff(composite, i);
            int type = btf.memberType(composite, i);
            long offset = btf.memberBitOffset(composite, i);
            int bitfield = btf.memberBitfieldSize(composite, i);
            if (nameOff == 0) {
                int inner = btf.skipAliases(type);
                if (inner != 0 && btf.kind(inner).isComposite()) {
                    Found f = find(inner, name);
                    if (f != null) {
                        return new Found(offset + f.bitOffset, f.bitfieldBits, f.typeId);
                    }
                }
            } else if (btf.nameEquals(nameOff, name)) {
                if (!kindFlag) {
                    return intBitfield(offset, type);
                }
                return new Found(offset, bitfield, type);
            }
        }
        return null;
    }

    /**
     * Without kind_flag, a bitfield is a member whose INT type has fewer bits than its size (and
     * possibly its own bit offset): BTF's older encoding, still valid.
     */
    private Found intBitfield(long offset, int type) {
        int t = btf.skipAliases(type);
        if (t != 0 && btf.kind(t) == BtfKind.INT) {
            int encoding = btf.intEncoding(t);
            int nrBits = encoding & 0xFF;
            int intOffset = (encoding >>> 16) & 0xFF;
            if (nrBits != btf.sizeOf(t) * 8 || intOffset != 0) {
                return new Found(offset + intOffset, nrBits, type);
            }
        }
        return new Found(offset, 0, type);
    }

    private String describe(int id) {
        if (id == 0) {
            return "void";
        }
        BtfKind kind = btf.kind(id);
        if (kind == BtfKind.PTR) {
            return "a pointer";
        }
        if (kind == BtfKind.ARRAY) {
            return "an array";
        }
        String name = btf.name(id);
        String word = kind == BtfKind.INT ? "integer" : kind.name().toLowerCase();
        String article = "aeiou".indexOf(word.charAt(0)) >= 0 ? "an " : "a ";
        return name.isEmpty() ? "an anonymous " + word : article + word + " '" + name + "'";
    }
}
