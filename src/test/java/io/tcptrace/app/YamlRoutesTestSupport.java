package io.tcptrace.app;

import io.tcptrace.KernelCamelTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.util.FileUtil;

/**
 * Loads the real YAML files from routes/ (the ones users edit, not copies) into a Camel test
 * context with application.properties, the sinks a test chooses, and overrides.
 */
abstract class YamlRoutesTestSupport extends KernelCamelTestSupport {
    static final Path ROUTES = Path.of(System.getProperty("tcptrace.home", "."), "routes");

    // No initializer: CamelTestSupport asks for properties from its constructor, before field initializers run.
    private Path tmp;

    /** Sink names, as in tcptrace.sinks. */
    protected abstract List<String> sinks();

    /** Extra property overrides for this test class. */
    protected Properties properties() {
        return new Properties();
    }

    protected Path outputFile() {
        if (tmp == null) {
            try {
                tmp = Files.createTempDirectory("tcptrace-routes-test");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return tmp.resolve("out/tcp-connect.jsonl");
    }

    /** After the context has stopped: the sinks' temporary directory goes with the test. */
    @Override
    protected void doPostTearDown() throws Exception {
        super.doPostTearDown();
        if (tmp != null) {
            FileUtil.removeDir(tmp.toFile());
            tmp = null;
        }
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getPropertiesComponent().setLocation("classpath:application.properties");
        return context;
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = new Properties();
        p.setProperty("tcptrace.self-pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("tcptrace.sink-uris", String.join(",", sinks().stream().map(s -> "direct:sink-" + s).toList()));
        p.setProperty("tcptrace.file", outputFile().toString());
        p.setProperty("tcptrace.cache-dir", CACHE_DIR);
        p.setProperty("tcptrace.probe", PROBE);
        p.putAll(properties());
        return p;
    }

    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        List<Resource> resources = new ArrayList<>();
        resources.add(ResourceHelper.resolveResource(context, "file:" + ROUTES.resolve("tcp-connect.yaml")));
        for (String sink : sinks()) {
            Path file = ROUTES.resolve("sink-" + sink + ".yaml");
            if (!Files.exists(file)) {
                throw new IllegalStateException("missing " + file);
            }
            resources.add(ResourceHelper.resolveResource(context, "file:" + file));
        }
        return PluginHelper.getRoutesLoader(context).findRoutesBuilders(resources).toArray(new RoutesBuilder[0]);
    }
}
