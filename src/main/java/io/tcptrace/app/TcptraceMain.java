package io.tcptrace.app;

import io.tcptrace.kernel.OwnProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tcptrace application: camel-main with the YAML routes in {@code routes/}. Settings come
 * from application.properties, each overridable by an environment variable (Camel maps
 * {@code tcptrace.sinks} to {@code TCPTRACE_SINKS}) or a {@code -D} system property.
 */
public final class TcptraceMain {
    private static final Logger LOG = LoggerFactory.getLogger(TcptraceMain.class);

    private TcptraceMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs until stopped (SIGTERM, Ctrl-C) and returns the exit status; start-up failures print one line. */
    public static int run(String... args) {
        Main main;
        try {
            main = configure();
        } catch (RuntimeException e) {
            return StartupFailure.report(e);
        }
        try {
            return main.run(args);
        } catch (Throwable e) {
            return StartupFailure.report(e);
        }
    }

    static Main configure() {
        Properties defaults = classpathProperties();
        Path routesDir = Path.of(setting("tcptrace.routes-dir", defaults, "routes"));
        SinkSelection sinks = SinkSelection.resolve(routesDir, sinkNames(defaults));
        checkManagementPort(defaults);
        checkRenamedSettings(defaults);
        checkNumbers(defaults);
        // From the start: the BPF compile, Camel's start and the first JIT compiles free most of it.
        NativeHeapTrim.start(trimInterval(defaults));
        Main main = new Main();
        // the pid the kernel's events carry for this process, which differs in a pid namespace of its own
        main.addInitialProperty("tcptrace.self-pid", Long.toString(OwnProcess.tgid()));
        main.addInitialProperty("tcptrace.sink-uris", sinks.endpointUris());
        main.addOverrideProperty("tcptrace.stats-enabled", Boolean.toString(statsEnabled(sinks, defaults)));
        main.configure().withRoutesIncludePattern(sinks.includePattern());
        // The management server's Vert.x (camel-platform-http-vertx takes the registry's VertxOptions):
        // each scrape or health request runs on a worker thread, and the default pool of 20 gains a
        // thread per request until it has 20 (each with its stack and malloc memory); 2 serve a scraper.
        main.bind("vertxOptions", new io.vertx.core.VertxOptions().setWorkerPoolSize(2));
        // camel-main does not map CAMEL_MANAGEMENT_* / CAMEL_METRICS_* environment variables to its
        // settings by itself; do it, so every setting really is overridable from the environment.
        for (String key : defaults.stringPropertyNames()) {
            if (key.startsWith("camel.management.") || key.startsWith("camel.metrics.")) {
                String value = setting(key, defaults, "");
                if (!value.equals(defaults.getProperty(key))) {
                    main.addOverrideProperty(key, value);
                }
            }
        }
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport m) {
                Operations.start(m.getCamelContext());
                LOG.info("tcptrace ready: tracing TCP connections to sinks {}", sinks.names());
            }

            @Override
            public void beforeStop(BaseMainSupport m) {
                LOG.info("tcptrace shutting down: detaching probes, delivering what the kernel buffer holds");
            }
        });
        return main;
    }

    /**
     * tcptrace.sinks; when it is not set explicitly, Splunk joins the defaults if SPLUNK_HEC_URL
     * is set, and Kafka if KAFKA_BROKERS is.
     */
    static String sinkNames(Properties defaults) {
        boolean explicit = System.getenv("TCPTRACE_SINKS") != null || System.getProperty("tcptrace.sinks") != null;
        String sinks = setting("tcptrace.sinks", defaults, "console,file");
        if (!explicit && !setting("splunk.hec-url", defaults, "").isBlank()) {
            sinks = sinks + ",splunk";
        }
        if (!explicit && !setting("kafka.brokers", defaults, "").isBlank()) {
            sinks = sinks + ",kafka";
        }
        return sinks;
    }

    /** The loss counters go to Splunk (routes/tcptrace-stats.yaml) when its sink is chosen and an interval set. */
    static boolean statsEnabled(SinkSelection sinks, Properties defaults) {
        return sinks.names().contains("splunk")
                && Long.parseLong(setting("tcptrace.stats-interval-ms", defaults, "0").trim()) > 0;
    }

    /**
     * A setting whose default is a whole number must be one: Camel turns a word such as "abc"
     * into 0 for an int option, which then failed with a message about 0, not about what was given.
     */
    /** tcptrace.native-trim-interval-ms, checked: 0 (off) to an hour. */
    private static long trimInterval(Properties defaults) {
        String value = setting("tcptrace.native-trim-interval-ms", defaults, "5000").trim();
        long ms = value.length() > 18 ? -1 : Long.parseLong(value); // a whole number: checkNumbers
        if (ms < 0 || ms > 3_600_000) {
            throw new IllegalArgumentException("tcptrace.native-trim-interval-ms (TCPTRACE_NATIVE_TRIM_INTERVAL_MS)="
                    + value + " is out of range 0 (off) to 3600000 (milliseconds)");
        }
        return ms;
    }

    private static void checkNumbers(Properties defaults) {
        for (String key : new java.util.TreeSet<>(defaults.stringPropertyNames())) {
            if (!defaults.getProperty(key).trim().matches("-?\\d+")) {
                continue;
            }
            String value = setting(key, defaults, "").trim();
            if (!value.matches("-?\\d+")) {
                throw new IllegalArgumentException(key + " (" + key.toUpperCase(Locale.ROOT).replace('.', '_')
                        .replace('-', '_') + ")=" + value + " is not a whole number: the default is "
                        + defaults.getProperty(key).trim());
            }
        }
    }

    /** A setting that was renamed would otherwise be ignored without a word. */
    private static void checkRenamedSettings(Properties defaults) {
        if (!setting("splunk.host", defaults, "").isBlank()) {
            throw new IllegalArgumentException("splunk.host (SPLUNK_HOST) is now tcptrace.host (TCPTRACE_HOST), which "
                    + "names the host in the events and in Splunk alike: set TCPTRACE_HOST instead");
        }
    }

    /** Vert.x would only log a stack trace and carry on without metrics and health: say it once, and stop. */
    private static void checkManagementPort(Properties defaults) {
        if (!Boolean.parseBoolean(setting("camel.management.enabled", defaults, "false"))) {
            return;
        }
        String host = setting("camel.management.host", defaults, "0.0.0.0");
        int port = Integer.parseInt(setting("camel.management.port", defaults, "9464").trim());
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("the metrics and health port " + host + ":" + port + " is in use ("
                    + e.getMessage() + "; another tcptrace?): stop that process, or set CAMEL_MANAGEMENT_PORT to a"
                    + " free port (CAMEL_MANAGEMENT_ENABLED=false turns the server off)");
        }
    }

    /** Same precedence as Camel's properties: environment, then system property, then application.properties. */
    static String setting(String key, Properties defaults, String fallback) {
        // Locale.ROOT: under a Turkish locale "sinks".toUpperCase() is "SİNKS", and no such variable is set.
        String env = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        if (env != null && !env.isBlank()) {
            return env;
        }
        return System.getProperty(key, defaults.getProperty(key, fallback));
    }

    private static Properties classpathProperties() {
        Properties p = new Properties();
        try (InputStream in = TcptraceMain.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read application.properties: " + e.getMessage());
        }
        return p;
    }
}
