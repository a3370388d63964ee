package io.tcptrace.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a process's context from /proc: executable (the exe link), command line, comm and
 * parent (stat). Used for processes the kernel records did not cover.
 *
 * <p>The exe link needs ptrace-read access to the process (root, or CAP_SYS_PTRACE); without it
 * the path stays unknown while the rest is still read.
 *
 * <p>A null root reads nothing: for a tracer whose /proc belongs to another pid namespace than
 * the kernel's pids (every pid would name another process there).
 */
final class ProcFs {
    private final Path root;
    private final int cmdlineMaxBytes;
    private final boolean cmdline;

    ProcFs(Path root, boolean cmdline, int cmdlineMaxBytes) {
        this.root = root;
        this.cmdline = cmdline;
        this.cmdlineMaxBytes = cmdlineMaxBytes;
    }

    /** The process, or null when it is gone (or is a kernel thread with no stat). */
    ProcessInfo read(int pid) {
        if (root == null) {
            return null;
        }
        Path dir = root.resolve(Integer.toString(pid));
        String stat = readSmall(dir.resolve("stat"), 1024);
        if (stat == null) {
            return null;
        }
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
            return null;
        }
        String comm = stat.substring(open + 1, close);
        String[] rest = stat.substring(close + 2).split(" ", 3);
        int ppid = rest.length > 1 ? parseInt(rest[1]) : 0;
        String path = exe(dir);
        String args = null;
        if (cmdline) {
            byte[] raw = readBytes(dir.resolve("cmdline"), cmdlineMaxBytes + 1);
            if (raw != null) {
                args = CommandLine.join(raw, 0, raw.length, cmdlineMaxBytes);
            }
        }
        String parentName = ppid > 0 ? comm(ppid) : null;
        return new ProcessInfo(pid, path, args, comm, ppid, parentName, ProcessInfo.Source.PROC);
    }

    /** Pids of all processes now (not threads: /proc lists thread group leaders only). */
    List<Integer> pids() {
        List<Integer> pids = new ArrayList<>();
        if (root == null) {
            return pids;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                int pid = parseInt(entry.getFileName().toString());
                if (pid > 0) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            return pids;
        }
        return pids;
    }

    String comm(int pid) {
        if (root == null) {
            return null;
        }
        String comm = readSmall(root.resolve(Integer.toString(pid)).resolve("comm"), 64);
        return comm == null ? null : comm.strip();
    }

    /**
     * The comm as the kernel holds it (what bpf_get_current_comm copies): /proc/PID/comm without
     * its newline, at most 15 bytes; null when the process is gone.
     */
    byte[] commBytes(int pid) {
        if (root == null) {
            return null;
        }
        byte[] b = readBytes(root.resolve(Integer.toString(pid)).resolve("comm"), 64);
        if (b == null) {
            return null;
        }
        int n = b.length > 0 && b[b.length - 1] == '\n' ? b.length - 1 : b.length;
        return java.util.Arrays.copyOf(b, Math.min(n, 15));
    }

    /**
     * The real uid (the first field of the {@code Uid:} line of /proc/PID/status), which is what
     * bpf_get_current_uid_gid() gives in its low 32 bits; -1 when the process is gone.
     */
    long uid(int pid) {
        if (root == null) {
            return -1;
        }
        String status = readSmall(root.resolve(Integer.toString(pid)).resolve("status"), 4096);
        if (status == null) {
            return -1;
        }
        int at = status.indexOf("\nUid:");
        int end = at < 0 ? -1 : status.indexOf('\n', at + 5);
        if (end < 0) {
            return -1;
        }
        String[] fields = status.substring(at + 5, end).strip().split("\\s+");
        try {
            return Long.parseLong(fields[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String exe(Path dir) {
        try {
            String target = Files.readSymbolicLink(dir.resolve("exe")).toString();
            return target.endsWith(" (deleted)") ? target.substring(0, target.length() - 10) : target;
        } catch (IOException | UnsupportedOperationException e) {
            return null;   // kernel thread, gone, or no ptrace access
        }
    }

    private static String readSmall(Path file, int max) {
        byte[] b = readBytes(file, max);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** At most {@code max} bytes: /proc files are generated on read, never read more than needed. */
    private static byte[] readBytes(Path file, int max) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer buf = ByteBuffer.allocate(max);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // keep reading: /proc may hand the content over in pieces
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The inode of a /proc link target {@code KIND:[INODE]} ({@code socket:[123]}, {@code net:[4026531833]});
     * 0 when the target is of another kind or not of that form.
     */
    static long linkInode(String target, String kind) {
        if (!target.startsWith(kind + ":[") || !target.endsWith("]")) {
            return 0;
        }
        try {
            return Long.parseLong(target, kind.length() + 2, target.length() - 1, 10);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static int parseInt(String s) {
        int v = 0;
        if (s.isEmpty() || s.length() > 9) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
