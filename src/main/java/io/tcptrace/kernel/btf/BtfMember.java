package io.tcptrace.kernel.btf;

/**
 * Where a member lies in a struct, found through BTF.
 *
 * @param struct       the outer struct or union, e.g. {@code sock}
 * @param path         the member path below it, e.g. {@code __sk_common.skc_family}
 * @param bitOffset    offset from the start of {@code struct} in bits
 * @param bitfieldBits width of a bitfield member, 0 for an ordinary member
 * @param size         size in bytes of the member's type (for a bitfield, of its underlying type)
 * @param typeId       the member's BTF type id
 */
public record BtfMember(String struct, String path, long bitOffset, int bitfieldBits, long size, int typeId) {

    public boolean isBitfield() {
        return bitfieldBits != 0;
    }

    /** The byte offset; a bitfield or an unaligned member has none. */
    public long byteOffset() {
        if (isBitfield() || bitOffset % 8 != 0) {
            throw new BtfException(struct + "." + path + " is a bitfield at bit " + bitOffset
                    + ": it has no byte offset to read it at");
        }
        return bitOffset / 8;
    }

    @Override
    public String toString() {
        return struct + "." + path + " @" + (bitOffset % 8 == 0 ? (bitOffset / 8) + " bytes" : bitOffset + " bits")
                + (isBitfield() ? " :" + bitfieldBits : "") + " size " + size;
    }
}
