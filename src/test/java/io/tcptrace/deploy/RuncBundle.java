package io.tcptrace.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The image archive of {@code ./tcptrace package} turned into a runc bundle by {@code umoci
 * unpack}, and the runtime settings a container engine or the kubelet would give it written into
 * its {@code config.json}. Not given: terminal and rlimits (runc's setrlimit is refused on these
 * machines: the bounding set lacks CAP_SYS_RESOURCE).
 */
final class RuncBundle {
    private static final ObjectMapper JSON = new ObjectMapper();
    final Path dir;
    final ObjectNode config;

    private RuncBundle(Path dir) throws Exception {
        this.dir = dir;
        this.config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.remove("rlimits");
    }

    /** Unpacks the image archive's {@code localhost/tcptrace:VERSION} into {@code work/bundle}. */
    static RuncBundle unpack(Path imageArchive, String version, Path work) throws Exception {
        Path layout = Files.createDirectories(work.resolve("oci"));
        Commands.run("tar", "-xf", imageArchive.toString(), "-C", layout.toString());
        Path bundle = work.resolve("bundle");
        Commands.run("umoci", "unpack", "--image", layout + ":localhost/tcptrace:" + version, bundle.toString());
        return new RuncBundle(bundle);
    }

    JsonNode process() {
        return config.get("process");
    }

    /** Exactly these capabilities (CAP_ names) in every set but the inheritable one. */
    RuncBundle capabilities(List<String> caps) {
        ObjectNode sets = (ObjectNode) process().get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            ArrayNode list = sets.putArray(set);
            caps.forEach(list::add);
        }
        sets.putArray("inheritable");
        return this;
    }

    /** Sets these environment variables, over the image's. */
    RuncBundle env(Map<String, String> env) {
        ArrayNode list = (ArrayNode) process().get("env");
        for (int i = list.size() - 1; i >= 0; i--) {
            String name = list.get(i).asText().split("=", 2)[0];
            if (env.containsKey(name)) {
                list.remove(i);
            }
        }
        env.forEach((k, v) -> list.add(k + "=" + v));
        return this;
    }

    /** The container shares these namespaces (pid, network, uts...) with the host. */
    RuncBundle hostNamespaces(Set<String> types) {
        ArrayNode namespaces = (ArrayNode) config.path("linux").get("namespaces");
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            if (types.contains(namespaces.get(i).path("type").asText())) {
                namespaces.remove(i);
            }
        }
        if (types.contains("uts")) {
            config.remove("hostname");
        }
        return this;
    }

    /** A bind mount of a host path, replacing what the image's config mounts there. */
    RuncBundle bind(String source, String destination, boolean readOnly) {
        ArrayNode mounts = (ArrayNode) config.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (mounts.get(i).path("destination").asText().equals(destination)) {
                mounts.remove(i);
            }
        }
        ObjectNode m = mounts.addObject();
        m.put("destination", destination).put("type", "bind").put("source", source);
        m.putArray("options").add("rbind").add(readOnly ? "ro" : "rw");
        return this;
    }

    RuncBundle readOnlyRoot(boolean readOnly) {
        ((ObjectNode) config.get("root")).put("readonly", readOnly);
        return this;
    }

    RuncBundle noNewPrivileges(boolean on) {
        ((ObjectNode) process()).put("noNewPrivileges", on);
        return this;
    }

    RuncBundle user(long uid) {
        ((ObjectNode) process().get("user")).put("uid", uid);
        return this;
    }

    /** Writes config.json; returns {@code runc run} of it as container {@code id}. */
    ProcessBuilder run(String id) throws Exception {
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        return new ProcessBuilder("runc", "run", "--bundle", dir.toString(), id);
    }

    /** The container's first process, as the host sees it. */
    static long pid(String id) throws Exception {
        return JSON.readTree(Commands.run("runc", "state", id)).path("pid").asLong();
    }

    /** Deletes the container and the bundle (its root holds thousands of symlinks JUnit would warn about). */
    void delete(String id) throws Exception {
        Commands.exec("runc", "delete", "--force", id);
        Commands.exec("rm", "-rf", dir.toString());
    }
}
