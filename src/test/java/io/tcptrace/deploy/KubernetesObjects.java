package io.tcptrace.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rendered Kubernetes objects read into fabric8's typed model. An object of a kind the chart
 * should not make, a field of the wrong type or a field the Kubernetes API does not have (which
 * fabric8 would keep aside as an "additional property", and the API server would drop or
 * refuse) fails the read, with the object and the field's path.
 */
record KubernetesObjects(List<HasMetadata> objects, String text) {
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "apps/v1/DaemonSet", DaemonSet.class, "v1/ConfigMap", ConfigMap.class, "v1/Secret", Secret.class,
            "v1/ServiceAccount", ServiceAccount.class, "v1/Service", Service.class,
            "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class,
            "rbac.authorization.k8s.io/v1/ClusterRole", io.fabric8.kubernetes.api.model.rbac.ClusterRole.class,
            "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
            io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class);
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).build();

    static KubernetesObjects parse(String yaml) throws Exception {
        List<HasMetadata> out = new ArrayList<>();
        ObjectMapper yamlMapper = new ObjectMapper(new YAMLFactory());
        try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
            for (JsonNode doc : yamlMapper.readValues(parser, JsonNode.class).readAll()) {
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
                Class<? extends HasMetadata> type = KINDS.get(key);
                if (type == null) {
                    throw new AssertionError("the chart made an object of kind " + key + ", which nothing expects");
                }
                HasMetadata object = MAPPER.treeToValue(doc, type);
                List<String> unknown = new ArrayList<>();
                unknownFields(object, key + " " + object.getMetadata().getName(), unknown,
                        java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
                if (!unknown.isEmpty()) {
                    throw new AssertionError("fields the Kubernetes API does not have: " + unknown);
                }
                out.add(object);
            }
        }
        return new KubernetesObjects(out, yaml);
    }

    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " objects of " + type.getSimpleName() + ", not one: " + kinds());
        }
        return found.get(0);
    }

    List<String> kinds() {
        return objects.stream().map(HasMetadata::getKind).toList();
    }

    /** Walks fabric8 model objects through their getters; any non-empty additionalProperties is an unknown field. */
    private static void unknownFields(Object o, String path, List<String> unknown, Set<Object> seen) throws Exception {
        if (o == null || !seen.add(o)) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
                continue;
            }
            unknownFields(value, path + "." + m.getName().substring(3, 4).toLowerCase() + m.getName().substring(4),
                    unknown, seen);
        }
    }
}
