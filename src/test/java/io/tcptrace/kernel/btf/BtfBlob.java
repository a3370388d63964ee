package io.tcptrace.kernel.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes small BTF blobs in the kernel's format, type by type, for the reader's tests. */
final class BtfBlob {
    /** A struct/union member; {@code bitfield} is only encoded in structs with kind_flag. */
    record M(String name, int type, int bitOffset, int bitfield) {
        static M of(String name, int type, int bitOffset) {
            return new M(name, type, bitOffset, 0);
        }
    }

    private final ByteOrder order;
    private final List<byte[]> types = new ArrayList<>();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();

    BtfBlob(ByteOrder order) {
        this.order = order;
        strings.write(0); // offset 0: the empty name
    }

    BtfBlob() {
        this(ByteOrder.LITTLE_ENDIAN);
    }

    int str(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        int off = strings.size();
        strings.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        strings.write(0);
        return off;
    }

    /** Appends a type: common header plus the given extra u32 words; returns its id. */
    int type(String name, int kind, int vlen, boolean kindFlag, int sizeOrType, int... extra) {
        ByteBuffer b = ByteBuffer.allocate(12 + 4 * extra.length).order(order);
        b.putInt(str(name));
        b.putInt((kindFlag ? 1 << 31 : 0) | (kind << 24) | vlen);
        b.putInt(sizeOrType);
        for (int e : extra) {
            b.putInt(e);
        }
        types.add(b.array());
        return types.size();
    }

    int integer(String name, int size, int bits, int bitOffset) {
        return type(name, 1, 0, false, size, (bitOffset << 16) | bits);
    }

    int integer(String name, int size) {
        return integer(name, size, size * 8, 0);
    }

    int ptr(int to) {
        return type(null, 2, 0, false, to);
    }

    int array(int elem, int index, int n) {
        return type(null, 3, 0, false, 0, elem, index, n);
    }

    int struct(String name, int size, boolean kindFlag, M... members) {
        return composite(4, name, size, kindFlag, members);
    }

    int union(String name, int size, M... members) {
        return composite(5, name, size, false, members);
    }

    private int composite(int kind, String name, int size, boolean kindFlag, M... members) {
        int[] extra = new int[3 * members.length];
        for (int i = 0; i < members.length; i++) {
            M m = members[i];
            extra[3 * i] = str(m.name());
            extra[3 * i + 1] = m.type();
            extra[3 * i + 2] = kindFlag ? (m.bitfield() << 24) | m.bitOffset() : m.bitOffset();
        }
        return type(name, kind, members.length, kindFlag, size, extra);
    }

    int typedef(String name, int to) {
        return type(name, 8, 0, false, to);
    }

    int constOf(int to) {
        return type(null, 10, 0, false, to);
    }

    /** One type of every other kind, with vlen entries where the kind has them. */
    void everyOtherKind(int intId) {
        type("e", 6, 2, false, 4, str("A"), 0, str("B"), 1);                 // ENUM
        type("fwd", 7, 0, false, 0);                                        // FWD
        type(null, 9, 0, false, intId);                                     // VOLATILE
        type(null, 11, 0, false, intId);                                    // RESTRICT
        int proto = type(null, 13, 2, false, intId, str("a"), intId, 0, intId); // FUNC_PROTO
        int func = type("f", 12, 0, false, proto);                          // FUNC
        int var = type("v", 14, 0, false, intId, 1);                        // VAR
        type(".data", 15, 1, false, 4, var, 0, 4);                          // DATASEC
        type("double", 16, 0, false, 8);                                    // FLOAT
        type("tag", 17, 0, false, func, -1);                                // DECL_TAG
        type("user", 18, 0, false, intId);                                  // TYPE_TAG
        type("e64", 19, 1, false, 8, str("C"), 1, 2);                       // ENUM64
    }

    byte[] build() {
        int typeLen = types.stream().mapToInt(t -> t.length).sum();
        ByteBuffer b = ByteBuffer.allocate(24 + typeLen + strings.size()).order(order);
        b.putShort((short) 0xEB9F).put((byte) 1).put((byte) 0);
        b.putInt(24).putInt(0).putInt(typeLen).putInt(typeLen).putInt(strings.size());
        types.forEach(b::put);
        b.put(strings.toByteArray());
        return b.array();
    }
}
