package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.app.YamlRoutesAccess;
import io.tcptrace.delivery.DeliveryEndpoint;
import io.tcptrace.delivery.DeliveryStats;
import io.tcptrace.event.EventSchema;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real kernel events through routes/tcp-connect.yaml and routes/sink-kafka.yaml into a real KRaft broker. */
class KafkaSinkRouteTest extends YamlRoutesAccess {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SCHEMA_FIELDS = YamlRoutesAccess.CONNECT_FIELDS;
    private static KafkaBroker broker;
    private static int topics;

    // No initializer: CamelTestSupport asks for properties before field initializers run.
    private String topic;

    @BeforeAll
    static void startBroker() {
        broker = new KafkaBroker();
        broker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @AfterEach
    void stopContext() {
        context.stop(); // deliver or spool while the broker still runs
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
        p.setProperty("kafka.request-timeout-ms", "1500");
        p.setProperty("kafka.delivery-timeout-ms", "3000");
        p.setProperty("kafka.max-block-ms", "2000");
        p.setProperty("kafka.shutdown-timeout-ms", "5000");
        return p;
    }

    /** A topic per test, so each test reads back only its own records. */
    private String topic() {
        if (topic == null) {
            topic = "tcp-connect-" + (++topics);
            broker.createTopic(topic, 3);
        }
        return topic;
    }

    private DeliveryStats delivery() {
        return DeliveryEndpoint.find(context, "kafka").orElseThrow().getStats();
    }

    @Test
    void everyEventArrivesOnceWithKeyHeadersAndSchema() throws Exception {
        int n = 200;
        connects(n);
        await("events acknowledged by the broker", () -> delivery().getDelivered() >= n);
        List<ConsumerRecord<String, String>> records = broker.consumeAll(topic(), n, Duration.ofSeconds(30));
        assertEquals(n, records.size());
        assertEquals(n, new HashSet<>(keys(records)).size(), "exactly once");
        String host = records.get(0).key();
        Instant previous = Instant.EPOCH;
        for (ConsumerRecord<String, String> r : records) {
            assertEquals(host, r.key(), "one key per host");
            assertEquals(records.get(0).partition(), r.partition(), "one host, one partition");
            assertEquals("tcp-connect", header(r, "event_type"));
            assertEquals(Integer.toString(EventSchema.VERSION), header(r, "schema_version"));
            JsonNode e = JSON.readTree(r.value());
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            // The connection's fields, in EventSchema's order, then the process context the tracer knows.
            assertEquals(EventSchema.fieldNames().stream().filter(names::contains).toList(), names);
            assertTrue(names.containsAll(SCHEMA_FIELDS), names.toString());
            assertEquals(host, e.get("host").asText());
            assertEquals(port(), e.get("dest_port").asInt());
            Instant t = Instant.parse(e.get("time").asText());
            assertTrue(!t.isBefore(previous), "in kernel order within the partition");
            previous = t;
        }
        assertEquals(0, delivery().getSpooled());
    }

    @Test
    void aBrokerOutageMidStreamLosesNothing() throws Exception {
        connects(100);
        await("first events acknowledged", () -> delivery().getDelivered() >= 100);
        broker.stop();
        try {
            connects(300);
            await("events spooled while the broker is down", () -> delivery().getSpooled() >= 300);
            assertEquals(100, delivery().getDelivered());
        } finally {
            broker.start();
        }
        connects(50);
        await("every event delivered after the restart", () -> delivery().getDelivered() >= 450);
        List<ConsumerRecord<String, String>> records = broker.consumeAll(topic(), 450, Duration.ofSeconds(30));
        assertEquals(450, new HashSet<>(keys(records)).size(), "nothing lost");
        assertEquals(450, records.size(), "nothing twice");
        assertEquals(0, delivery().getLostTotal());
        assertTrue(delivery().getReplayed() >= 300);
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** One key per connect (kernel time and source port). */
    private static List<String> keys(List<ConsumerRecord<String, String>> records) throws Exception {
        List<String> keys = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
            JsonNode e = JSON.readTree(r.value());
            keys.add(e.get("time").asText() + "/" + e.get("src_port").asInt());
        }
        return keys;
    }
}
