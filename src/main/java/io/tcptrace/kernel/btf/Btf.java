package io.tcptrace.kernel.btf;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A BTF blob (e.g. /sys/kernel/btf/vmlinux) kept as its raw bytes plus one index: where each
 * type id starts. No object per type is built: vmlinux has ~150,000 types and tcptrace asks about
 * a handful of members, so lookups read the bytes directly (see {@link MemberResolver}).
 *
 * <p>Layout: a header ({@code magic 0xEB9F, version 1, flags, hdr_len, type_off, type_len,
 * str_off, str_len}, offsets relative to the end of the header), then the type section: records
 * of a 12-byte {@code struct btf_type} ({@code name_off, info, size|type}) followed by kind-specific
 * data; type ids count from 1 in that order, 0 is void. Then the string section of NUL-terminated
 * names. The blob is in the byte order of the kernel that wrote it: the magic tells which.
 */
public final class Btf {
    static final int MAGIC = 0xEB9F;
    static final int HEADER_MIN = 24;
    static final int TYPE_HEADER = 12;

    private final ByteBuffer data;
    private final String source;
    private final int stringsStart;
    private final int stringsEnd;
    /** typeStart[id] = byte position of type id's struct btf_type; index 0 (void) unused. */
    private final int[] typeStart;
    /**
     * Ids of the structs, unions and ints, the kinds looked up by name: a tenth of vmlinux's
     * types (the rest are mostly functions), so a lookup scans 13,000 names, not 127,000.
     */
    private final int[] searchable;
    private int pointerSize;

    private Btf(ByteBuffer data, String source, int stringsStart, int stringsEnd, int[] typeStart) {
        this.data = data;
        this.source = source;
        this.stringsStart = stringsStart;
        this.stringsEnd = stringsEnd;
        this.typeStart = typeStart;
        int[] ids = new int[64];
        int n = 0;
        for (int id = 1; id < typeStart.length; id++) {
            BtfKind k = kind(id);
            if (k.isComposite() || k == BtfKind.INT) {
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, n * 2);
                }
                ids[n++] = id;
            }
        }
        this.searchable = Arrays.copyOf(ids, n);
    }

    /** Reads and indexes the BTF file at {@code path}. */
    public static Btf read(Path path) {
        byte[] bytes;
        try {
            bytes = readFully(path);
        } catch (NoSuchFileException e) {
            throw new BtfException("no BTF at " + path + ": the kernel was built without CONFIG_DEBUG_INFO_BTF");
        } catch (IOException e) {
            throw new BtfException("cannot read BTF at " + path + ": " + e.getMessage(), e);
        }
        return parse(bytes, path.toString());
    }

    /**
     * Reads in 8 KiB steps: sysfs hands out at most a page per read() anyway, and reads of up to
     * 8 KiB go through the JDK's stack buffer, where larger ones malloc a native buffer each time
     * (Files.readAllBytes took 20-120 ms on vmlinux's 5.5 MB, this takes 4-12 ms).
     */
    private static byte[] readFully(Path path) throws IOException {
        long size = Files.size(path); // NoSuchFileException when the kernel has no BTF
        byte[] bytes = new byte[(int) Math.max(size, 8192)];
        try (FileInputStream in = new FileInputStream(path.toFile())) {
            int n = 0;
            while (true) {
                if (n == bytes.length) {
                    int probe = in.read();
                    if (probe < 0) {
                        return bytes;
                    }
                    bytes = Arrays.copyOf(bytes, bytes.length * 2);
                    bytes[n++] = (byte) probe;
                }
                int r = in.read(bytes, n, Math.min(8192, bytes.length - n));
                if (r < 0) {
                    return Arrays.copyOf(bytes, n);
                }
                n += r;
            }
        }
    }

    /** Indexes a BTF blob; {@code source} names it in error messages. */
    public static Btf parse(byte[] bytes, String source) {
        if (bytes.length < HEADER_MIN) {
            throw malformed(source, "only " + bytes.length + " bytes, shorter than a BTF header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int b0 = bytes[0] & 0xFF;
        int b1 = bytes[1] & 0xFF;
        if (b0 == 0x9F && b1 == 0xEB) {
            buf.order(ByteOrder.LITTLE_ENDIAN);
        } else if (b0 == 0xEB && b1 == 0x9F) {
            buf.order(ByteOrder.BIG_ENDIAN);
        } else {
            throw malformed(source, String.format("magic is 0x%02x%02x, not 0xeb9f: not a BTF file", b0, b1));
        }
        int version = bytes[2] & 0xFF;
        if (version != 1) {
            throw malformed(source, "BTF version " + version + ", this reader knows version 1");
        }
        long hdrLen = u32(buf, 4);
        long typeOff = u32(buf, 8);
        long typeLen = u32(buf, 12);
        long strOff = u32(buf, 16);
        long strLen = u32(buf, 20);
        if (hdrLen < HEADER_MIN || hdrLen > bytes.length) {
            throw malformed(source, "header length " + hdrLen + " outside the file");
        }
        long typesStart = hdrLen + typeOff;
        long typesEnd = typesStart + typeLen;
        long stringsStart = hdrLen + strOff;
        long stringsEnd = stringsStart + strLen;
        if (typesEnd > bytes.length || stringsEnd > bytes.length) {
            throw malformed(source, "type or string section ends past the file's " + bytes.length + " bytes");
        }
        int[] starts = indexTypes(buf, (int) typesStart, (int) typesEnd, source);
        return new Btf(buf, source, (int) stringsStart, (int) stringsEnd, starts);
    }

    private static int[] indexTypes(ByteBuffer buf, int start, int end, String source) {
        // ~1 type per 36 bytes in vmlinux: start near that and grow rarely.
        int[] starts = new int[Math.max(16, (end - start) / 32)];
        int count = 0;
        int pos = start;
        while (pos < end) {
            if (pos + TYPE_HEADER > end) {
                throw malformed(source, "type " + (count + 1) + " is cut off at the end of the type section");
            }
            int info = buf.getInt(pos + 4);
            BtfKind kind = BtfKind.of((info >>> 24) & 0x1F);
            if (kind == null) {
                throw malformed(source, "type " + (count + 1) + " has unknown kind " + ((info >>> 24) & 0x1F)
                        + " (a newer BTF than this reader knows)");
            }
            if (++count == starts.length) {
                starts = Arrays.copyOf(starts, starts.length * 2);
            }
            starts[count] = pos;
            pos += TYPE_HEADER + kind.trailingBytes(info & 0xFFFF);
        }
        if (pos != end) {
            throw malformed(source, "the last type runs past the end of the type section");
        }
        return Arrays.copyOf(starts, count + 1);
    }

    private static BtfException malformed(String source, String what) {
        return new BtfException("malformed BTF in " + source + ": " + what);
    }

    private static long u32(ByteBuffer buf, int pos) {
        return buf.getInt(pos) & 0xFFFFFFFFL;
    }

    public String source() {
        return source;
    }

    /** Number of types; valid ids are 1..typeCount(). */
    public int typeCount() {
        return typeStart.length - 1;
    }

    /** Size of the raw blob held in memory. */
    public int byteSize() {
        return data.capacity();
    }

    public BtfKind kind(int id) {
        return BtfKind.of((info(id) >>> 24) & 0x1F);
    }

    public String name(int id) {
        return string(nameOff(id));
    }

    /** vlen: members of a struct/union, values of an enum, parameters of a function prototype. */
    public int vlen(int id) {
        return info(id) & 0xFFFF;
    }

    /** For structs and unions: members carry bitfield sizes in their offset field. */
    public boolean kindFlag(int id) {
        return info(id) < 0;
    }

    /** The size field (INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC) or referenced type id (others). */
    int sizeOrType(int id) {
        return data.getInt(start(id) + 8);
    }

    /** The type a PTR, TYPEDEF, qualifier, VAR, FUNC or TYPE_TAG refers to; 0 is void. */
    public int referencedType(int id) {
        return sizeOrType(id);
    }

    /** INT only: the encoding word (bits 24-27 encoding, 16-23 bit offset, 0-7 bit count). */
    int intEncoding(int id) {
        return data.getInt(start(id) + TYPE_HEADER);
    }

    /** ARRAY only: element type id and number of elements. */
    int arrayElementType(int id) {
        return data.getInt(start(id) + TYPE_HEADER);
    }

    long arrayLength(int id) {
        return u32(data, start(id) + TYPE_HEADER + 8);
    }

    /** Member i of a STRUCT/UNION: its name offset in the string section. */
    int memberNameOff(int id, int i) {
        return data.getInt(memberPos(id, i));
    }

    public int memberType(int id, int i) {
        return data.getInt(memberPos(id, i) + 4);
    }

    /** The raw offset field: a bit offset, or with kind_flag {@code bitfield_size << 24 | bit_offset}. */
    int memberOffsetField(int id, int i) {
        return data.getInt(memberPos(id, i) + 8);
    }

    /** Member i's offset in bits from the start of its struct or union. */
    public long memberBitOffset(int id, int i) {
        int field = memberOffsetField(id, i);
        return kindFlag(id) ? field & 0xFFFFFF : field & 0xFFFFFFFFL;
    }

    /**
     * Member i's bitfield width as the struct's kind_flag encoding gives it (0: not a bitfield, or a
     * struct without kind_flag, whose bitfields are told by their INT type instead).
     */
    public int memberBitfieldSize(int id, int i) {
        return kindFlag(id) ? memberOffsetField(id, i) >>> 24 : 0;
    }

    public String memberName(int id, int i) {
        return string(memberNameOff(id, i));
    }

    private int memberPos(int id, int i) {
        return start(id) + TYPE_HEADER + 12 * i;
    }

    /** The type after dropping typedefs and qualifiers (const, volatile, restrict, type tags). */
    public int skipAliases(int id) {
        int current = id;
        for (int hops = 0; current != 0 && kind(current).isAlias(); hops++) {
            if (hops > 64) {
                throw malformed(source, "type " + id + " is a loop of typedefs or qualifiers");
            }
            current = sizeOrType(current);
        }
        return current;
    }

    /** Size in bytes of a value of type {@code id}, as the C compiler lays it out. */
    public long sizeOf(int id) {
        int t = skipAliases(id);
        if (t == 0) {
            throw new BtfException("type " + id + " in " + source + " is void, which has no size");
        }
        return switch (kind(t)) {
            case INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC -> u32(data, start(t) + 8);
            case PTR -> pointerSize();
            case ARRAY -> arrayLength(t) * sizeOf(arrayElementType(t));
            case VAR -> sizeOf(sizeOrType(t));
            default -> throw new BtfException("type " + t + " (" + kind(t) + " '" + name(t) + "') in " + source
                    + " has no size");
        };
    }

    /**
     * The kernel's pointer size. BTF does not record it; in the Linux ABIs it equals the size of
     * {@code unsigned long}, which BTF does record. Falls back to this JVM's data model.
     */
    public synchronized int pointerSize() {
        if (pointerSize == 0) {
            int[] ulong = findByName(BtfKind.INT, "long unsigned int");
            pointerSize = ulong.length > 0 ? (int) u32(data, start(ulong[0]) + 8)
                    : "32".equals(System.getProperty("sun.arch.data.model")) ? 4 : 8;
        }
        return pointerSize;
    }

    /** Ids of every type of {@code kind} named {@code name}, in id order. */
    public int[] findByName(BtfKind kind, String name) {
        if (kind.isComposite() || kind == BtfKind.INT) {
            return find(searchable, kind, kind, name);
        }
        int[] all = new int[typeStart.length - 1];
        Arrays.setAll(all, i -> i + 1);
        return find(all, kind, kind, name);
    }

    /** Ids of every struct and union named {@code name}, in id order (one pass). */
    public int[] findComposites(String name) {
        return find(searchable, BtfKind.STRUCT, BtfKind.UNION, name);
    }

    private int[] find(int[] ids, BtfKind kind, BtfKind orKind, String name) {
        byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
        int[] found = new int[4];
        int n = 0;
        for (int id : ids) {
            BtfKind k = kind(id);
            if ((k == kind || k == orKind) && nameEquals(nameOff(id), wanted)) {
                if (n == found.length) {
                    found = Arrays.copyOf(found, n * 2);
                }
                found[n++] = id;
            }
        }
        return Arrays.copyOf(found, n);
    }

    boolean nameEquals(int off, byte[] wanted) {
        int pos = stringsStart + off;
        if (off < 0 || pos + wanted.length >= stringsEnd) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            if (data.get(pos + i) != wanted[i]) {
                return false;
            }
        }
        return data.get(pos + wanted.length) == 0;
    }

    /** The NUL-terminated string at {@code off} in the string section; offset 0 is the empty name. */
    String string(int off) {
        int pos = stringsStart + off;
        if (off < 0 || pos >= stringsEnd) {
            throw malformed(source, "name offset " + off + " outside the string section");
        }
        int end = pos;
        while (end < stringsEnd && data.get(end) != 0) {
            end++;
        }
        return new String(data.array(), pos, end - pos, StandardCharsets.UTF_8);
    }

    private int nameOff(int id) {
        return data.getInt(start(id));
    }

    private int info(int id) {
        return data.getInt(start(id) + 4);
    }

    private int start(int id) {
        if (id <= 0 || id >= typeStart.length) {
            throw new BtfException("type id " + id + " is not in " + source + " (it has " + typeCount() + " types)");
        }
        return typeStart[id];
    }
}
