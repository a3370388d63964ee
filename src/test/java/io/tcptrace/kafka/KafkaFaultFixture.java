package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.LogCapture;
import io.tcptrace.app.YamlRoutesAccess;
import io.tcptrace.delivery.DeliveryEndpoint;
import io.tcptrace.delivery.DeliveryStats;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Kafka faults as an operator meets them: real kernel events through the routes into a real
 * KRaft broker that does not create topics by itself, with the sink's default client timeouts
 * (30 s delivery timeout), every log line of the run captured from before the sink starts.
 */
abstract class KafkaFaultFixture extends YamlRoutesAccess {
    private static final ObjectMapper JSON = new ObjectMapper();
    static KafkaBroker broker;
    static LogCapture log;
    private static int topics;

    // No initializer: CamelTestSupport asks for properties before field initializers run.
    private String topic;

    @BeforeAll
    static void startBroker() {
        log = new LogCapture(); // before each context starts: the sink's first words come from its start
        broker = new KafkaBroker(Map.of("auto.create.topics.enable", "false"));
        broker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
        log.close();
    }

    @AfterEach
    void stopContext() {
        context.stop();
    }

    @Override
    protected List<String> sinks() {
        return List.of("kafka");
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("kafka.brokers", broker.bootstrapServers());
        p.setProperty("kafka.topic", topic());
        p.setProperty("kafka.spool-dir", outputFile().getParent().resolve("spool").toString());
        p.setProperty("kafka.linger-ms", "50");
        p.setProperty("kafka.max-block-ms", "2000");
        p.setProperty("kafka.shutdown-timeout-ms", "5000");
        return p;
    }

    /** A topic per test, there before the sink starts (unless {@link #createsTopic()} says not). */
    protected String topic() {
        if (topic == null) {
            topic = "faults-" + getClass().getSimpleName() + "-" + (++topics);
            if (createsTopic()) {
                broker.createTopic(topic, 3);
            }
        }
        return topic;
    }

    protected abstract boolean createsTopic();

    DeliveryEndpoint endpoint() {
        return DeliveryEndpoint.find(context, "kafka").orElseThrow();
    }

    DeliveryStats delivery() {
        return endpoint().getStats();
    }

    List<String> linesAbout(String text) {
        return log.lines().stream().filter(l -> l.contains(text)).toList();
    }

    void assertExactlyOnce(int n) throws Exception {
        List<ConsumerRecord<String, String>> records = broker.consumeAll(topic(), n, Duration.ofSeconds(30));
        Set<String> keys = new HashSet<>();
        for (ConsumerRecord<String, String> r : records) {
            var e = JSON.readTree(r.value());
            keys.add(e.get("time").asText() + "/" + e.get("src_port").asInt());
        }
        assertEquals(n, keys.size(), "nothing lost");
        assertEquals(n, records.size(), "nothing twice");
    }

    HealthCheck.Result sinkHealth() {
        return ((HealthCheck) HealthCheckRegistry.get(context).getCheck("tcptrace-sink-kafka").orElseThrow()).call();
    }
}
