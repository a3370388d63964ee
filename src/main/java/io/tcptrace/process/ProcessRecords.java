package io.tcptrace.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the kernel's process records (bpf/process.bpf.c; layouts documented there) into the
 * {@link ProcessCache}. The kernel reader hands every ring-buffer record as (buffer, offset,
 * length) with the kind byte first; {@link #accept} takes kinds 16-18 and leaves the others.
 *
 * <p>One instance per reader thread (it reuses a scratch array).
 */
public final class ProcessRecords {
    public static final int KIND_EXEC = 16;
    public static final int KIND_FORK = 17;
    public static final int KIND_EXIT = 18;

    static final int EXEC_ARGS_TRUNCATED = 1;
    static final int EXEC_ARGS_UNKNOWN = 2;
    static final int EXEC_PATH_TRUNCATED = 4;
    static final int EXEC_HEADER = 56;
    static final int FORK_SIZE = 40;
    static final int EXIT_SIZE = 32;

    private final ProcessCache cache;
    private final ExecHook hook;
    private final boolean cmdline;
    private final int cmdlineMaxBytes;
    private byte[] scratch = new byte[4096];
    private volatile long malformed;
    private volatile long execs;
    private volatile long forks;
    private volatile long exits;
    private volatile long argsUnknown;

    /** Told of every exec (pid, uid, cgroup id), to warm the other caches before the process's connections arrive. */
    @FunctionalInterface
    public interface ExecHook {
        void onExec(int pid, int uid, long cgroupId);
    }

    public ProcessRecords(ProcessCache cache, ProcessSettings settings, ExecHook hook) {
        this.cache = cache;
        this.hook = hook;
        this.cmdline = settings.cmdline();
        this.cmdlineMaxBytes = settings.cmdlineMaxBytes();
    }

    /** True when {@code kind} is a process record kind (16-18). */
    public static boolean isProcessKind(int kind) {
        return kind >= KIND_EXEC && kind <= KIND_EXIT;
    }

    /**
     * Applies the record at {@code offset} if it is a process record; returns false for any other
     * kind. A process record too short for its kind is counted as malformed and skipped.
     */
    public boolean accept(ByteBuffer buf, int offset, int length) {
        if (length < 1) {
            return false;
        }
        int kind = buf.get(offset) & 0xFF;
        if (!isProcessKind(kind)) {
            return false;
        }
        ByteBuffer b = buf.order() == ByteOrder.LITTLE_ENDIAN ? buf : buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (kind) {
            case KIND_EXEC -> exec(b, offset, length);
            case KIND_FORK -> fork(b, offset, length);
            default -> exit(b, offset, length);
        }
        return true;
    }

    private void exec(ByteBuffer b, int off, int length) {
        if (length < EXEC_HEADER) {
            malformed++;
            return;
        }
        int flags = b.get(off + 1) & 0xFF;
        int pathLen = b.getShort(off + 2) & 0xFFFF;
        int argsLen = b.getShort(off + 4) & 0xFFFF;
        int argsOffset = b.getShort(off + 6) & 0xFFFF;
        int pid = b.getInt(off + 8);
        if (EXEC_HEADER + pathLen > length || (argsLen > 0 && argsOffset + argsLen > length)) {
            malformed++;
            return;
        }
        execs++;
        String comm = cString(b, off + 40, 16);
        // a cut path would mislead: leave it to /proc/PID/exe
        String path = pathLen == 0 || (flags & EXEC_PATH_TRUNCATED) != 0 ? null : text(b, off + EXEC_HEADER, pathLen);
        String args = null;
        if (cmdline && argsLen > 0) {
            byte[] raw = bytes(b, off + argsOffset, argsLen);
            args = CommandLine.join(raw, 0, argsLen, cmdlineMaxBytes);
        }
        boolean unknown = (flags & EXEC_ARGS_UNKNOWN) != 0;
        if (unknown) {
            argsUnknown++;
        }
        // A relative or cut path (execve("./x")) is completed from /proc/PID/exe while the process lives.
        boolean pathIncomplete = path == null || path.charAt(0) != '/';
        cache.exec(pid, path, args, comm, (cmdline && unknown) || pathIncomplete);
        hook.onExec(pid, b.getInt(off + 32), b.getLong(off + 24));
    }

    private void fork(ByteBuffer b, int off, int length) {
        if (length < FORK_SIZE) {
            malformed++;
            return;
        }
        forks++;
        cache.fork(b.getInt(off + 4), b.getInt(off + 8), cString(b, off + 24, 16));
    }

    private void exit(ByteBuffer b, int off, int length) {
        if (length < EXIT_SIZE) {
            malformed++;
            return;
        }
        exits++;
        cache.exit(b.getInt(off + 4));
    }

    private byte[] bytes(ByteBuffer b, int off, int len) {
        if (scratch.length < len) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        b.get(off, scratch, 0, len);
        return scratch;
    }

    private String text(ByteBuffer b, int off, int len) {
        return new String(bytes(b, off, len), 0, len, StandardCharsets.UTF_8);
    }

    private String cString(ByteBuffer b, int off, int max) {
        int len = 0;
        while (len < max && b.get(off + len) != 0) {
            len++;
        }
        return len == 0 ? null : text(b, off, len);
    }

    /** Records counted since start: {@code argsUnknown} are execs whose arguments came from /proc instead. */
    public record Counts(long execs, long forks, long exits, long argsUnknown, long malformed) {
    }

    public Counts counts() {
        return new Counts(execs, forks, exits, argsUnknown, malformed);
    }
}
