package io.tcptrace.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tcptrace.kafka.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the start and counts the records of one destination port, without keeping them. */
final class KafkaCount {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaCount() {
    }

    static long count(KafkaBroker broker, String topic, int port, long expected) throws Exception {
        Map<String, Object> props = broker.clientConfig();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        long n = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && !atEnd(consumer, parts, end)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (JSON.readTree(r.value()).path("dest_port").asInt() == port) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static boolean atEnd(KafkaConsumer<?, ?> c, List<TopicPartition> parts, Map<TopicPartition, Long> end) {
        for (TopicPartition p : parts) {
            if (c.position(p) < end.get(p)) {
                return false;
            }
        }
        return true;
    }
}
