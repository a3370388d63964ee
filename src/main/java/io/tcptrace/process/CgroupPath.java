package io.tcptrace.process;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cgroup v2 path and what it shows: the systemd unit, the container and the Kubernetes pod.
 * Read from the path's names only; no container runtime or Kubernetes API is asked.
 *
 * <p>Layouts recognised (systemd cgroup driver, then cgroupfs driver):
 * <ul>
 * <li>Docker: {@code /system.slice/docker-<id>.scope}; {@code /docker/<id>}</li>
 * <li>containerd/CRI: {@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope};
 *     {@code /kubepods/burstable/pod<uid>/<id>}</li>
 * <li>CRI-O: {@code .../crio-<id>.scope}; {@code /kubepods/.../pod<uid>/crio-<id>}</li>
 * <li>Podman: {@code .../libpod-<id>.scope}; {@code /libpod_parent/libpod-<id>}</li>
 * <li>systemd: the innermost {@code *.service} ({@code nginx.service}, {@code user@1000.service}); none
 *     when a container sits inside it (that unit is the runtime's)</li>
 * <li>containerd nested in its own unit: {@code /system.slice/containerd.service/kubepods-...-pod<uid>.slice:cri-containerd:<id>}</li>
 * </ul>
 * Container monitors ({@code crio-conmon-<id>.scope}, {@code libpod-conmon-<id>.scope}) are not
 * the container and get no id.
 *
 * @param path        the path relative to the cgroup2 mount, starting with {@code /}
 * @param service     innermost systemd service unit, or null
 * @param containerId 64 hex digits, or null
 * @param podUid      pod uid with dashes, or null
 */
public record CgroupPath(String path, String service, String containerId, String podUid) {
    private static final String HEX64 = "[0-9a-f]{64}";
    private static final Pattern CONTAINER = Pattern.compile(
            "(?:(?:docker|cri-containerd|crio|libpod|containerd)-)?(" + HEX64 + ")(?:\\.scope)?");
    // systemd: kubepods-besteffort-pod<uid>.slice (underscores for dashes); cgroupfs: pod<uid>.
    // Static pods have a 32-hex uid instead of a UUID.
    private static final Pattern POD = Pattern.compile(
            "(?:.*-)?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}"
                    + "|[0-9a-f]{32})(?:\\.slice)?");

    public static CgroupPath parse(String path) {
        String service = null;
        String containerId = null;
        String podUid = null;
        int serviceDepth = -1;
        int containerDepth = -1;
        boolean kubepods = false;
        int depth = 0;
        for (String name : path.split("/")) {
            if (name.isEmpty()) {
                continue;
            }
            depth++;
            kubepods |= name.contains("kubepods");
            // some containerd set-ups name the leaf slice:prefix:id (kubepods-...-pod<uid>.slice:cri-containerd:<id>)
            for (String part : name.split(":")) {
                if (part.endsWith(".service")) {
                    service = part;
                    serviceDepth = depth;
                }
                Matcher c = CONTAINER.matcher(part);
                if (c.matches()) {
                    containerId = c.group(1);
                    containerDepth = depth;
                }
                if (kubepods) {
                    Matcher p = POD.matcher(part);
                    if (p.matches()) {
                        podUid = p.group(1).replace('_', '-');
                    }
                }
            }
        }
        if (containerId != null && containerDepth >= serviceDepth) {
            service = null;   // the unit is the container runtime's (containerd.service), not the workload's
        }
        return new CgroupPath(path, service, containerId, podUid);
    }
}
