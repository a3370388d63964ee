package io.tcptrace.kernel;

import io.tcptrace.bcc.BccException;
import io.tcptrace.bcc.Libc;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds kernel headers for libbcc's clang. With {@code /lib/modules/$(uname -r)/build} present
 * (or BCC_KERNEL_SOURCE set) nothing is done. Otherwise Debian-style split headers
 * ({@code linux-headers-*-common} plus {@code linux-headers-*-<arch>}) of another version are
 * merged into one tree of symlinks under a cache directory and BCC_KERNEL_SOURCE points there.
 * Tracepoint mode stays correct with such headers (its fields come from the tracepoint format);
 * kprobe mode reads struct sock and is not.
 */
public final class KernelHeaders {
    private static final Logger LOG = LoggerFactory.getLogger(KernelHeaders.class);
    private static final String DONE_MARKER = ".tcptrace-complete";

    /** Where the headers came from. */
    public enum Status { MATCHING, MERGED_MISMATCHED }

    private static Status prepared;

    private KernelHeaders() {
    }

    /** Idempotent; the first call logs what it decided. */
    public static synchronized Status prepare(Path cacheDir) {
        if (prepared != null) {
            return prepared;
        }
        String release = System.getProperty("os.version");
        String explicit = System.getenv("BCC_KERNEL_SOURCE");
        if ((explicit != null && !explicit.isBlank()) || Files.isDirectory(Path.of("/lib/modules", release, "build"))) {
            prepared = Status.MATCHING;
            return prepared;
        }
        Merged merged = mergeDistributionHeaders(cacheDir);
        Libc.setenv("BCC_KERNEL_SOURCE", merged.dir().toString(), 1);
        LOG.warn("no kernel headers match the running kernel {}: using {} headers merged in {}. Tracepoint mode is "
                + "correct with them; kprobe mode reads struct sock and is unsafe with them.", release, merged.version(),
                merged.dir());
        prepared = Status.MERGED_MISMATCHED;
        return prepared;
    }

    /** A merged header tree and the kernel version of its headers. */
    record Merged(Path dir, String version) {
    }

    /**
     * Merges the newest Debian-style split headers under /usr/src into {@code cacheDir}, unless a
     * complete merge is there already.
     */
    static Merged mergeDistributionHeaders(Path cacheDir) {
        Path src = Path.of("/usr/src");
        Path arch = findHalf(src, "-" + debianArch()).orElseThrow(() -> new BccException(
                "no kernel headers for " + System.getProperty("os.version") + " and no linux-headers-*-" + debianArch()
                        + " under /usr/src: install linux-headers-" + System.getProperty("os.version")
                        + " or linux-headers-" + debianArch() + " (./tcptrace setup does)"));
        String version = arch.getFileName().toString().replaceFirst("^linux-headers-", "")
                .replaceFirst("-" + debianArch() + "$", "");
        Path common = src.resolve("linux-headers-" + version + "-common");
        Path merged = cacheDir.resolve("kernel-headers").resolve(version + "-" + debianArch());
        try {
            if (!Files.exists(merged.resolve(DONE_MARKER))) {
                mergeAsSymlinks(List.of(common, arch), merged);
                Files.createFile(merged.resolve(DONE_MARKER));
            }
        } catch (IOException e) {
            throw new BccException("cannot build the merged kernel header tree in " + merged + ": " + e.getMessage()
                    + ": make the cache directory writable (TCPTRACE_CACHE_DIR) or install matching headers");
        }
        return new Merged(merged, version);
    }

    /**
     * Builds the merged tree ahead of time into the cache directory given (the container image does
     * so at build time: the merge is thousands of symlinks, seconds of a first start).
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: KernelHeaders CACHE_DIR");
            System.exit(2);
        }
        Merged merged = mergeDistributionHeaders(Path.of(args[0]));
        System.out.println("kernel headers " + merged.version() + " merged in " + merged.dir());
    }

    private static Optional<Path> findHalf(Path src, String suffix) {
        if (!Files.isDirectory(src)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(src)) {
            return dirs.filter(p -> p.getFileName().toString().startsWith("linux-headers-")
                            && p.getFileName().toString().endsWith(suffix))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String debianArch() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
    }

    /** Like {@code cp -rs}: directories are created, files become symlinks; later trees win. */
    private static void mergeAsSymlinks(List<Path> trees, Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.createDirectories(tmp);
        for (Path tree : trees) {
            Path root = tree.toRealPath();
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.createDirectories(tmp.resolve(root.relativize(dir).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path link = tmp.resolve(root.relativize(file).toString());
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, file);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        if (Files.exists(target)) {
            deleteTree(target);
        }
        Files.move(tmp, target);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
