package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test fixture itself, on a real broker: records written with acks=all and idempotence are
 * read back; while the broker is down sends fail; after a restart (graceful or after SIGKILL)
 * the same address serves the old records and takes new ones, without loss or duplicates.
 */
class KafkaBrokerTest {
    private static final Duration READ = Duration.ofSeconds(30);

    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = new KafkaBroker();
        broker.start();
    }

    @AfterAll
    static void closeBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void recordsSurviveAStopAndSendsFailWhileDown() throws Exception {
        String topic = "fixture-stop";
        broker.createTopic(topic, 3);
        try (KafkaProducer<String, String> producer = producer(Map.of(
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 2000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000))) {
            sendAll(producer, topic, 0, 100);
            assertValues(topic, 0, 100);

            broker.stop();
            assertFalse(broker.isRunning());
            assertConnectionRefused(broker.port());
            Exception failed = sendFails(producer, new ProducerRecord<>(topic, "lost", "lost"));
            assertInstanceOf(org.apache.kafka.common.errors.TimeoutException.class, failed,
                    () -> "send while down: " + failed);

            broker.restart();
            assertTrue(broker.isRunning());
            assertValues(topic, 0, 100); // kept, and the failed send is not there
            sendAll(producer, topic, 100, 150); // the same producer recovers
            assertValues(topic, 0, 150);
        }
    }

    @Test
    void sendsInFlightAcrossACrashAreDeliveredOnceAfterRestart() throws Exception {
        String topic = "fixture-kill";
        broker.createTopic(topic, 2);
        try (KafkaProducer<String, String> producer = producer(Map.of(
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
            sendAll(producer, topic, 0, 50);

            broker.kill();
            assertConnectionRefused(broker.port());
            List<Future<RecordMetadata>> pending = new ArrayList<>();
            for (int i = 50; i < 100; i++) {
                pending.add(producer.send(record(topic, i)));
            }
            assertTrue(pending.stream().noneMatch(Future::isDone), "acknowledged while the broker was down");

            broker.restart();
            for (Future<RecordMetadata> f : pending) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertValues(topic, 0, 100);
        }
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> props = broker.clientConfig();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.putAll(overrides);
        return new KafkaProducer<>(props);
    }

    private static ProducerRecord<String, String> record(String topic, int i) {
        return new ProducerRecord<>(topic, "k" + i, "v" + i);
    }

    private static void sendAll(KafkaProducer<String, String> producer, String topic, int from, int to)
            throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            sent.add(producer.send(record(topic, i)));
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    /** Exactly the values v{from}..v{to - 1} are in the topic: nothing lost, nothing twice. */
    private static void assertValues(String topic, int from, int to) {
        List<ConsumerRecord<String, String>> records = broker.consumeAll(topic, to - from, READ);
        List<String> values = records.stream().map(ConsumerRecord::value).sorted().collect(Collectors.toList());
        List<String> expected = IntStream.range(from, to).mapToObj(i -> "v" + i).sorted().collect(Collectors.toList());
        assertEquals(expected, values, "records in " + topic);
    }

    /** The send's failure, whether send() throws or its future fails. */
    private static Exception sendFails(KafkaProducer<String, String> producer, ProducerRecord<String, String> record) {
        Future<RecordMetadata> future;
        try {
            future = producer.send(record);
        } catch (org.apache.kafka.common.KafkaException e) {
            return e;
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(30, TimeUnit.SECONDS));
        return (Exception) e.getCause();
    }

    private static void assertConnectionRefused(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            fail("port " + port + " still accepts connections");
        } catch (ConnectException expected) {
            // down
        } catch (IOException e) {
            fail("expected a refused connection on port " + port + ", got " + e);
        }
    }
}
