package io.tcptrace.kubernetes;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pod, namespace and container names from the kubelet's log directories, which need no API
 * access: {@code <root>/containers/<pod>_<namespace>_<container>-<container id>.log} (a link per
 * container) and {@code <root>/pods/<namespace>_<pod>_<pod uid>/} (a directory per pod). Names of
 * pods, namespaces and containers cannot hold {@code _}, so the names split unambiguously.
 */
final class KubeletLogs {
    private static final Pattern CONTAINER_LOG =
            Pattern.compile("([a-z0-9.-]+)_([a-z0-9-]+)_([a-z0-9-]+)-([0-9a-f]{64})\\.log");
    private static final Pattern POD_DIR = Pattern.compile("([a-z0-9-]+)_([a-z0-9.-]+)_([0-9a-f-]{32,36})");

    /** One reading: by container id and by pod uid; {@code dropped} entries beyond the bound. */
    record Snapshot(Map<String, PodMetadata> byContainer, Map<String, PodMetadata> byPod, int dropped) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), 0);
    }

    private final Path root;
    private final int maxEntries;
    private final String nodeName;

    /** {@code nodeName}: this node's name (the downward API's), put in every entry; null when not known. */
    KubeletLogs(Path root, int maxEntries, String nodeName) {
        this.root = root;
        this.maxEntries = maxEntries;
        this.nodeName = nodeName;
    }

    /** Whether this node's kubelet writes pod logs here (else Kubernetes is not in use). */
    boolean present() {
        return Files.isDirectory(root.resolve("pods"));
    }

    Path root() {
        return root;
    }

    Snapshot read() throws IOException {
        Map<String, PodMetadata> byPod = new HashMap<>();
        Map<String, PodMetadata> byContainer = new HashMap<>();
        int dropped = 0;
        for (String name : names(root.resolve("pods"))) {
            Matcher m = POD_DIR.matcher(name);
            if (m.matches()) {
                if (byPod.size() < maxEntries) {
                    byPod.put(m.group(3), new PodMetadata(m.group(1), m.group(2), null, null, null, nodeName));
                } else {
                    dropped++;
                }
            }
        }
        for (String name : names(root.resolve("containers"))) {
            Matcher m = CONTAINER_LOG.matcher(name);
            if (m.matches()) {
                if (byContainer.size() < maxEntries) {
                    byContainer.put(m.group(4), new PodMetadata(m.group(2), m.group(1), m.group(3), null, null, nodeName));
                } else {
                    dropped++;
                }
            }
        }
        return new Snapshot(Map.copyOf(byContainer), Map.copyOf(byPod), dropped);
    }

    private static Iterable<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                out.add(p.getFileName().toString());
            }
        }
        return out;
    }
}
