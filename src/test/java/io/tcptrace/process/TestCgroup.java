package io.tcptrace.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A cgroup the test creates under the cgroup2 mount (and removes, with any parents it created). */
public final class TestCgroup implements AutoCloseable {
    public final Path mount;
    public final String path;
    public final Path dir;
    private final List<Path> created = new ArrayList<>();

    public TestCgroup(Path mount, String path) throws IOException {
        this.mount = mount;
        this.path = path;
        this.dir = mount.resolve(path.substring(1));
        Path p = mount;
        for (Path name : mount.relativize(dir)) {
            p = p.resolve(name);
            if (!Files.isDirectory(p)) {
                Files.createDirectory(p);
                created.add(0, p);
            }
        }
    }

    /** The cgroup id the kernel reports for it: its directory's inode. */
    public long id() throws IOException {
        return (Long) Files.getAttribute(dir, "unix:ino");
    }

    /** A shell command that moves the shell running it into this cgroup. */
    public String enterCommand() {
        return "echo $$ > " + dir.resolve("cgroup.procs");
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Path p : created) {
            // the last process may take a moment to leave after it was reaped
            for (int i = 0; i < 50 && Files.exists(p); i++) {
                try {
                    Files.delete(p);
                } catch (IOException busy) {
                    Thread.sleep(20);
                }
            }
        }
    }
}
