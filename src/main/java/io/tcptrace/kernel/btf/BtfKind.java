package io.tcptrace.kernel.btf;

/**
 * The type kinds of the kernel's BTF format (Documentation/bpf/btf.rst), with the number of
 * bytes each kind's data takes after the 12-byte common {@code struct btf_type}.
 */
public enum BtfKind {
    INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9), CONST(10),
    RESTRICT(11), FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17), TYPE_TAG(18),
    ENUM64(19);

    private static final BtfKind[] BY_CODE = new BtfKind[32];

    static {
        for (BtfKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    BtfKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind with this 5-bit code, or null for a code this reader does not know. */
    static BtfKind of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** Bytes of kind-specific data after {@code struct btf_type}, given the type's vlen. */
    int trailingBytes(int vlen) {
        return switch (this) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12;                            // struct btf_array
            case STRUCT, UNION, DATASEC, ENUM64 -> 12 * vlen; // btf_member, btf_var_secinfo, btf_enum64
            case ENUM, FUNC_PROTO -> 8 * vlen;           // btf_enum, btf_param
            default -> 0;                                // PTR, FWD, TYPEDEF, qualifiers, FUNC, FLOAT, TYPE_TAG
        };
    }

    /** Typedefs and qualifiers: they name or qualify another type without changing its layout. */
    boolean isAlias() {
        return this == TYPEDEF || this == VOLATILE || this == CONST || this == RESTRICT || this == TYPE_TAG;
    }

    boolean isComposite() {
        return this == STRUCT || this == UNION;
    }
}
