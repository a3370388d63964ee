package io.tcptrace.bcc;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Gives back the resident pages of clang's and LLVM's code once the BPF program is compiled.
 * The in-process compile touches about 75 MB of libLLVM and libclang-cpp text, which would stay
 * in the tracer's RSS for its whole life although nothing runs it again. The pages are clean
 * and file-backed: {@code MADV_DONTNEED} only drops this process's mapping of them, and a later
 * compile faults them back in from the page cache (or the file). Mappings holding any private
 * (written) page, such as the relocated read-only data, are left alone: dropping those would
 * lose their content.
 */
public final class CompilerPages {
    private static final List<String> LIBRARIES = List.of("/libLLVM", "/libclang");
    /** A mapping's first line starts with its address range in lower-case hex; field lines with a name. */
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    private CompilerPages() {
    }

    /** Drops this process's resident clean pages of the compiler libraries; returns the kB released. */
    public static long release() {
        return release(Path.of("/proc/self/smaps"));
    }

    static long release(Path smaps) {
        List<String> lines;
        try {
            lines = Files.readAllLines(smaps);
        } catch (IOException e) {
            return 0;
        }
        long released = 0;
        int i = 0;
        while (i < lines.size()) {
            String header = lines.get(i++);
            long rss = 0;
            long written = 0;
            while (i < lines.size() && !isMappingHeader(lines.get(i))) {
                String field = lines.get(i++);
                if (field.startsWith("Rss:")) {
                    rss = kilobytes(field);
                } else if (field.startsWith("Private_Dirty:") || field.startsWith("Anonymous:")) {
                    written += kilobytes(field);
                }
            }
            if (rss > 0 && written == 0 && isCompilerCode(header) && drop(header)) {
                released += rss;
            }
        }
        return released;
    }

    /** "start-end perms offset dev inode path": readable, not writable, private, a compiler library. */
    static boolean isCompilerCode(String header) {
        String[] f = header.split("\\s+", 6);
        if (f.length < 6 || f[1].length() != 4) {
            return false;
        }
        String perms = f[1];
        boolean readOnlyPrivate = perms.charAt(0) == 'r' && perms.charAt(1) == '-' && perms.charAt(3) == 'p';
        return readOnlyPrivate && LIBRARIES.stream().anyMatch(f[5]::contains);
    }

    private static boolean drop(String header) {
        String range = header.substring(0, header.indexOf(' '));
        int dash = range.indexOf('-');
        long start = Long.parseUnsignedLong(range.substring(0, dash), 16);
        long end = Long.parseUnsignedLong(range.substring(dash + 1), 16);
        return Libc.madvise(new Pointer(start), end - start, Libc.MADV_DONTNEED) == 0;
    }

    private static boolean isMappingHeader(String line) {
        return MAPPING.matcher(line).lookingAt();
    }

    private static long kilobytes(String field) {
        String[] f = field.trim().split("\\s+");
        return f.length >= 2 ? Long.parseLong(f[1]) : 0;
    }
}
