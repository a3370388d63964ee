package io.tcptrace.bcc;

/** errno values the binding reports, in words an operator can act on. */
final class Errno {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int E2BIG = 7;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;

    private Errno() {
    }

    static String describe(int errno) {
        return switch (errno) {
            case EPERM -> "operation not permitted (EPERM)";
            case ENOENT -> "no such file or kernel object (ENOENT)";
            case EACCES -> "permission denied (EACCES)";
            case EINVAL -> "invalid argument (EINVAL)";
            case ENOSPC -> "no space (ENOSPC)";
            case 12 -> "out of memory (ENOMEM): raise the memlock limit or use a smaller buffer";
            case E2BIG -> "argument list too long (E2BIG)";
            case EEXIST -> "already exists (EEXIST)";
            default -> "errno " + errno;
        };
    }
}
