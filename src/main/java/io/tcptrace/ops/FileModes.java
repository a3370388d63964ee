package io.tcptrace.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Modes for the files tcptrace writes: connection data of every process on the host is not for
 * every local user. A file or directory tcptrace creates gets its mode set explicitly after
 * creation, so the process umask (which may be 000) neither widens nor narrows it. Existing files
 * and directories keep their modes: tcptrace does not chmod what an operator made (such as /tmp).
 */
public final class FileModes {
    /** Events file: the owner writes, the group (a log shipper, say) reads. */
    public static final Set<PosixFilePermission> SHARED_FILE = PosixFilePermissions.fromString("rw-r-----");
    public static final Set<PosixFilePermission> SHARED_DIR = PosixFilePermissions.fromString("rwxr-x---");
    /** Spool: only tcptrace itself reads it back. */
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private FileModes() {
    }

    /** Like {@link Files#createDirectories}, with {@code mode} on each directory it creates. */
    public static Path createDirectories(Path dir, Set<PosixFilePermission> mode) throws IOException {
        Path abs = dir.toAbsolutePath();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = abs; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            try {
                // Created with the mode (no moment open to all), then set: the umask may have narrowed it.
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(mode));
                Files.setPosixFilePermissions(p, mode);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                // another thread or process made it meanwhile: its mode is theirs
            }
        }
        return dir;
    }

    /** Opens {@code file} for appending; when this call creates it, it gets {@code mode}. */
    public static FileChannel openAppend(Path file, Set<PosixFilePermission> mode) throws IOException {
        try {
            FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(mode));
            try {
                Files.setPosixFilePermissions(file, mode);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (FileAlreadyExistsException e) {
            return FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
    }

    /** Creates {@code file} (replacing an old one) with {@code mode} and writes {@code bytes} to it. */
    public static void writeNew(Path file, byte[] bytes, Set<PosixFilePermission> mode) throws IOException {
        Files.deleteIfExists(file);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(mode))) {
            Files.setPosixFilePermissions(file, mode);
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }
}
