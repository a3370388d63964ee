package io.tcptrace.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart (deploy/helm/tcptrace) rendered and linted by Helm itself (helm-java: Helm's
 * own Go code as a native library), every object read into fabric8's Kubernetes model with
 * unknown fields refused ({@link KubernetesObjects}), and what the README promises of it checked
 * on the rendered objects. No cluster: nothing here is applied anywhere.
 */
class HelmChartTest {
    static final Path HOME = Path.of(System.getProperty("tcptrace.home", "."));
    static final Path CHART = HOME.resolve("deploy/helm/tcptrace");
    static final String TOKEN = "0b6f8c1e-test-token-never-in-a-spec";

    @Test
    void lintIsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
        assertTrue(lint.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
                String.join("\n", lint.getMessages()));
    }

    @Test
    void versionsAreThePoms() throws Exception {
        String chart = Files.readString(CHART.resolve("Chart.yaml"));
        String version = System.getProperty("tcptrace.version");
        assertTrue(chart.contains("\nversion: " + version + "\n"), "Chart.yaml version " + version);
        assertTrue(chart.contains("\nappVersion: \"" + version + "\"\n"), "Chart.yaml appVersion " + version);
    }

    @Test
    void leastPrivilegeDaemonSet() throws Exception {
        KubernetesObjects objects = render(Map.of("splunk.url", "https://splunk.example:8088", "splunk.token", TOKEN));
        DaemonSet ds = objects.one(DaemonSet.class);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertTrue(pod.getHostPID() && pod.getHostNetwork(), "host pid and network namespaces");
        assertTrue(pod.getAutomountServiceAccountToken(), "the API token, for the pod watch");
        assertEquals(45L, pod.getTerminationGracePeriodSeconds());
        assertTrue(pod.getTolerations().stream().anyMatch(t -> "Exists".equals(t.getOperator()) && t.getKey() == null),
                "runs on tainted nodes too");
        Container c = pod.getContainers().get(0);
        assertEquals("localhost/tcptrace:" + System.getProperty("tcptrace.version"), c.getImage());
        var sc = c.getSecurityContext();
        assertFalse(sc.getPrivileged());
        assertFalse(sc.getAllowPrivilegeEscalation());
        assertTrue(sc.getReadOnlyRootFilesystem());
        assertEquals(0L, sc.getRunAsUser());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertEquals(List.of("BPF", "PERFMON", "SYS_PTRACE", "NET_ADMIN"), sc.getCapabilities().getAdd());
        assertEquals(Map.of("/sys/kernel/tracing", true, "/sys/fs/cgroup", true, "/etc/tcptrace/routes", true,
                "/var/lib/tcptrace", false, "/tmp", false, "/var/log/pods", true, "/var/log/containers", true),
                c.getVolumeMounts().stream().collect(Collectors.toMap(
                        m -> m.getMountPath(), m -> Boolean.TRUE.equals(m.getReadOnly()))));
        for (var probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
            assertEquals("/observe/health", probe.getHttpGet().getPath());
        }
        assertTrue(c.getResources().getRequests().containsKey("memory") && c.getResources().getLimits().containsKey("memory"));
        assertFalse(c.getResources().getLimits().containsKey("cpu"), "no CPU limit: throttling loses events");

        EnvVar token = env(c, "SPLUNK_HEC_TOKEN");
        assertEquals(null, token.getValue(), "the token is not in the pod spec");
        Secret secret = objects.one(Secret.class);
        assertEquals(secret.getMetadata().getName(), token.getValueFrom().getSecretKeyRef().getName());
        assertEquals(TOKEN, new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8));
        assertEquals(1, objects.text().split(TOKEN, -1).length - 1 + objects.text().split(
                Base64.getEncoder().encodeToString(TOKEN.getBytes()), -1).length - 1,
                "the token appears once, base64 in the Secret");
        assertEquals("spec.nodeName", env(c, "TCPTRACE_HOST").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("spec.nodeName", env(c, "TCPTRACE_K8S_NODE_NAME").getValueFrom().getFieldRef().getFieldPath());
        assertEquals("status.podIP", env(c, "CAMEL_MANAGEMENT_HOST").getValueFrom().getFieldRef().getFieldPath());

        ServiceAccount sa = objects.one(ServiceAccount.class);
        assertEquals(sa.getMetadata().getName(), pod.getServiceAccountName());
        assertFalse(sa.getAutomountServiceAccountToken(), "mounted only where the DaemonSet asks for it");
        assertEquals("true", env(c, "TCPTRACE_K8S_API").getValue());
        var role = objects.one(io.fabric8.kubernetes.api.model.rbac.ClusterRole.class);
        assertEquals(1, role.getRules().size(), "one rule");
        var rule = role.getRules().get(0);
        assertEquals(List.of(""), rule.getApiGroups());
        assertEquals(List.of("pods"), rule.getResources());
        assertEquals(List.of("get", "list", "watch"), rule.getVerbs(), "read only");
        var binding = objects.one(io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class);
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals(sa.getMetadata().getName(), binding.getSubjects().get(0).getName());
        assertEquals("tcptrace", binding.getSubjects().get(0).getNamespace());
    }

    @Test
    void withoutTheApiNoRoleAndNoToken() throws Exception {
        KubernetesObjects objects = render(Map.of("kubernetesApi.enabled", "false"));
        PodSpec pod = objects.one(DaemonSet.class).getSpec().getTemplate().getSpec();
        assertFalse(pod.getAutomountServiceAccountToken());
        assertEquals("false", env(pod.getContainers().get(0), "TCPTRACE_K8S_API").getValue());
        assertEquals(List.of(), objects.kinds().stream().filter(k -> k.contains("Role")).toList(), "no RBAC");
    }

    @Test
    void routesAreTheRepositorysPlusTheValues() throws Exception {
        KubernetesObjects objects = render(Map.of("routes.files.sink-failures\\.yaml", "- route:\n    from: {uri: direct:sink-failures}\n"));
        ConfigMap routes = objects.one(ConfigMap.class);
        List<Path> files;
        try (Stream<Path> s = Files.list(HOME.resolve("routes"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path f : files) {
            assertEquals(Files.readString(f), routes.getData().get(f.getFileName().toString()), f + " as it is in routes/");
        }
        assertEquals("- route:\n    from: {uri: direct:sink-failures}\n", routes.getData().get("sink-failures.yaml"));
        assertEquals(files.size() + 1, routes.getData().size());
    }

    @Test
    void privilegedModeAndServiceMonitor() throws Exception {
        KubernetesObjects objects = render(Map.of("securityMode", "privileged", "metrics.serviceMonitor.enabled", "true"));
        Container c = objects.one(DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(c.getSecurityContext().getPrivileged());
        assertEquals(null, c.getSecurityContext().getCapabilities());
        ServiceMonitor sm = objects.one(ServiceMonitor.class);
        assertEquals("/observe/metrics", sm.getSpec().getEndpoints().get(0).getPath());
        Service svc = objects.one(Service.class);
        assertEquals("None", svc.getSpec().getClusterIP());
        assertEquals(sm.getSpec().getSelector().getMatchLabels(), svc.getSpec().getSelector());
    }

    @Test
    void aWrongSecurityModeIsRefusedWithTheChoices() {
        Exception e = assertThrows(Exception.class, () -> render(Map.of("securityMode", "root")));
        assertTrue(e.getMessage().contains("securityMode must be leastPrivilege or privileged, not \"root\""), e.getMessage());
    }

    static KubernetesObjects render(Map<String, String> values) throws Exception {
        var template = new Helm(CHART).template().withName("tcptrace").withNamespace("tcptrace").withKubeVersion("1.31.0");
        values.forEach(template::set);
        return KubernetesObjects.parse(template.call());
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in the container's env"));
    }
}
