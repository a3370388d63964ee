package io.tcptrace.bcc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The LLVM major version libbcc compiles with, from the shared libraries it brought into this
 * process. What the BPF backend can emit depends on it (BPF atomics need LLVM 12), and an LLVM
 * that cannot select an instruction ends the process rather than returning an error.
 * A libbcc with LLVM linked in statically shows no version: empty.
 */
public final class BccLlvm {
    // libLLVM-14.so.1 (Debian, Ubuntu), libLLVM.so.18.1 (LLVM 18+), libclang-cpp.so.14
    private static final Pattern LIBRARY = Pattern.compile(
            "/lib(?:LLVM-(\\d+)[.-]|LLVM\\.so\\.(\\d+)|clang-cpp\\.so\\.(\\d+))");

    private BccLlvm() {
    }

    public static OptionalInt major() {
        LibBcc.requireLoaded();
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return major(maps);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static OptionalInt major(Stream<String> mapsLines) {
        return mapsLines.map(LIBRARY::matcher).filter(Matcher::find).mapToInt(BccLlvm::version).max();
    }

    private static int version(Matcher m) {
        for (int group = 1; group <= m.groupCount(); group++) {
            if (m.group(group) != null) {
                return Integer.parseInt(m.group(group));
            }
        }
        throw new IllegalStateException(m.group());
    }
}
