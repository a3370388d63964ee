package io.tcptrace.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) for tests.
 *
 * <p>The broker runs {@code kafka.Kafka} from the {@code kafka_2.13} test dependency in a child
 * JVM ({@link KafkaBrokerMain}), on the test JVM's class path. Ports (client and controller
 * listener, both on 127.0.0.1) and the log directory are chosen once, in the constructor, so
 * {@link #stop()} / {@link #kill()} and {@link #restart()} bring back the same broker: same
 * address, same topics, same records, same cluster id.
 *
 * <p>The broker's own log goes to {@link #logFile()} (its standard output and error to
 * {@code broker.out} beside it); neither reaches the test output. Kafka clients in the test JVM
 * are set to WARN (their connection warnings to ERROR) unless a logback configuration already
 * sets a level for them.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = new KafkaBroker()) {
 *     kafka.start();
 *     kafka.createTopic("events", 3);
 *     ... produce to kafka.bootstrapServers() ...
 *     kafka.stop();      // SIGTERM, controlled shutdown; kill() for SIGKILL
 *     kafka.restart();   // same port, same data
 *     List<ConsumerRecord<String, String>> all = kafka.consumeAll("events", 100, Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    static {
        quietClientLogs();
    }

    private final int port;
    private final int controllerPort;
    private final Path home;
    private final Path dataDir;
    private final Path config;
    private final Path logFile;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<String, String> overrides;
    private Process process;
    private OutputStream parentLink;
    private int starts;

    /** A broker with the default configuration; nothing runs until {@link #start()}. */
    public KafkaBroker() {
        this(Map.of());
    }

    /**
     * A broker whose server.properties has these entries on top of the defaults of this class
     * (e.g. {@code auto.create.topics.enable=false}, {@code log.segment.bytes}).
     */
    public KafkaBroker(Map<String, String> serverProperties) {
        this.overrides = Map.copyOf(serverProperties);
        try {
            this.home = Files.createTempDirectory("kafka-broker-");
            this.dataDir = home.resolve("data");
            this.config = home.resolve("server.properties");
            this.logFile = home.resolve("broker.log");
            this.port = freePort();
            this.controllerPort = freePort();
            writeConfiguration();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:port}, the same for the broker's whole life, restarts included. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The broker's log file (INFO), to read when a test fails. */
    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Starts the broker and returns once it serves requests. Formats the log directory the first time. */
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException("broker already running on " + bootstrapServers());
        }
        starts++;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java,
                "-Xms64m", "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-Djava.awt.headless=true",
                "-Djava.net.preferIPv4Stack=true",
                "-Dlogback.configurationFile=" + home.resolve("logback-broker.xml"),
                "-cp", System.getProperty("java.class.path"),
                KafkaBrokerMain.class.getName(),
                config.toString(), clusterId);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("broker.out").toFile()));
        try {
            appendMarker("start #" + starts);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the broker's JVM", e);
        }
        parentLink = process.getOutputStream(); // kept open: its end tells the broker the test JVM is gone
        awaitReady();
    }

    /**
     * Stops the broker as an operator would (SIGTERM: controlled shutdown, logs flushed) and
     * returns once the process is gone and its port refuses connections. Does nothing if it is
     * not running.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        // ProcessHandle.destroy, not Process.destroy: the latter also closes our end of stdin,
        // which KafkaBrokerMain takes for the test JVM's death and halts without shutting down.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        released();
    }

    /** Kills the broker (SIGKILL: no shutdown at all, as in a crash); returns once its port refuses connections. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        try {
            process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        released();
    }

    /** {@link #stop()} if running, then {@link #start()}: same port, same log directory. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Creates a topic (replication factor 1) and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) {
        try (Admin admin = Admin.create(adminConfig())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(name);
                if (description.partitions().size() == partitions
                        && description.partitions().stream().map(TopicPartitionInfo::leader)
                                .allMatch(leader -> leader != null && !leader.isEmpty())) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " has partitions without a leader: " + description);
                }
                Thread.sleep(50);
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + name, e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every record of the topic, from the beginning, without a consumer group (nothing is
     * committed). Returns once at least {@code expectedCount} records have been read and every
     * partition has been read to its end (so duplicates past the expected count show up too),
     * or at the timeout with what was read until then. Ordered by partition, then offset.
     */
    public List<ConsumerRecord<String, String>> consumeAll(String topic, int expectedCount, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> props = clientConfig();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            while (partitions.isEmpty()) {
                for (PartitionInfo info : consumer.partitionsFor(topic, remaining(deadline, 1))) {
                    partitions.add(new TopicPartition(info.topic(), info.partition()));
                }
                if (partitions.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        return records;
                    }
                    sleep(100);
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (records.size() >= expectedCount && atEnd(consumer, partitions, deadline)) {
                    break;
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            // the deadline passed while waiting on the broker: return what was read
        }
        records.sort(Comparator.<ConsumerRecord<String, String>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        return records;
    }

    /**
     * Client settings that reach this broker: bootstrap servers and short reconnect back-offs
     * (so clients find a restarted broker quickly). A fresh, mutable map on each call.
     */
    public Map<String, Object> clientConfig() {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, 50);
        props.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        return props;
    }

    /** Kills the broker if it still runs and deletes its directory. */
    @Override
    public synchronized void close() {
        kill();
        deleteRecursively(home);
    }

    // ---- internals ----

    private void writeConfiguration() throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        // one node: every replication factor and ISR minimum is 1
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        p.put("group.initial.rebalance.delay.ms", "0");
        // small: few threads, a small cleaner buffer (default 128 MiB of the 512 MiB heap)
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
        // After a kill, the restarted controller refuses the broker's new registration until the
        // old one's session expires (default 9 s): a short session makes a restart after kill() fast.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "3000");
        p.putAll(overrides);

        StringBuilder text = new StringBuilder("# written by " + KafkaBroker.class.getName() + "\n");
        p.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(config, text.toString(), StandardCharsets.UTF_8);

        Files.writeString(home.resolve("logback-broker.xml"), """
                <configuration>
                    <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                        <file>%s</file>
                        <append>true</append>
                        <encoder>
                            <pattern>%%d{HH:mm:ss.SSS} %%-5level [%%thread] %%logger{36} - %%msg%%n</pattern>
                        </encoder>
                    </appender>
                    <logger name="org.apache.kafka.clients.NetworkClient" level="WARN"/>
                    <root level="INFO">
                        <appender-ref ref="FILE"/>
                    </root>
                </configuration>
                """.formatted(logFile), StandardCharsets.UTF_8);
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Map<String, Object> props = adminConfig();
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        try (Admin admin = Admin.create(props)) {
            while (true) {
                if (!process.isAlive()) {
                    int exit = process.exitValue();
                    released();
                    throw new IllegalStateException("broker exited with " + exit + " while starting\n" + logTail());
                }
                try {
                    // The broker takes requests only once it is registered with its controller and
                    // unfenced: answering with itself as a node means it can lead partitions.
                    Collection<Node> nodes = admin.describeCluster().nodes().get(1, TimeUnit.SECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not up yet
                }
                if (System.nanoTime() > deadline) {
                    kill();
                    throw new IllegalStateException("broker not ready after " + START_TIMEOUT + "\n" + logTail());
                }
                sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new IllegalStateException("interrupted while the broker started", e);
        }
    }

    private Map<String, Object> adminConfig() {
        return clientConfig();
    }

    /** The process is gone: close our end of its stdin and wait until nothing listens on its port. */
    private void released() {
        try {
            parentLink.close();
        } catch (IOException ignored) {
            // already closed
        }
        process = null;
        parentLink = null;
        appendMarker("stopped");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (accepts(port)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("port " + port + " still accepts connections after the broker exited");
            }
            sleep(50);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return true; // a timeout is not a refusal
        }
    }

    private static boolean atEnd(KafkaConsumer<String, String> consumer, List<TopicPartition> partitions, long deadline) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, remaining(deadline, 1));
        for (TopicPartition partition : partitions) {
            if (consumer.position(partition, remaining(deadline, 1)) < ends.get(partition)) {
                return false;
            }
        }
        return true;
    }

    private static Duration remaining(long deadline, long minimumMillis) {
        return Duration.ofMillis(Math.max(minimumMillis, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }

    private void appendMarker(String what) {
        try {
            Files.writeString(home.resolve("broker.out"), "==== " + what + " ====\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // only a marker
        }
    }

    private String logTail() {
        StringBuilder tail = new StringBuilder();
        for (Path file : List.of(home.resolve("broker.out"), logFile)) {
            try {
                List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
                tail.append("---- ").append(file).append(" (last 40 lines) ----\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size())
                        .forEach(line -> tail.append(line).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                tail.append("(cannot read ").append(file).append(": ").append(e).append(")\n");
            }
        }
        return tail.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort: it is a temporary directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Kafka clients log every configuration at INFO and every refused connection at WARN. */
    private static void quietClientLogs() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof ch.qos.logback.classic.LoggerContext context) {
            quiet(context, "org.apache.kafka", ch.qos.logback.classic.Level.WARN);
            quiet(context, "org.apache.kafka.clients.NetworkClient", ch.qos.logback.classic.Level.ERROR);
        }
    }

    private static void quiet(ch.qos.logback.classic.LoggerContext context, String name, ch.qos.logback.classic.Level level) {
        ch.qos.logback.classic.Logger logger = context.getLogger(name);
        if (logger.getLevel() == null) {
            logger.setLevel(level);
        }
    }
}
