package io.tcptrace.kafka;

import io.tcptrace.delivery.BatchSender;
import io.tcptrace.event.HostName;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a batch of event JSON records to the publishing route of routes/sink-kafka.yaml, whose
 * camel-kafka producer sends them as one record each and completes once the broker has
 * acknowledged all of them ({@code acks=all}). Every record gets the same key, the host name,
 * so one host's events stay in one partition, in order.
 *
 * <p>Broker health comes from camel-kafka's own Kafka producer, which this class creates as the
 * endpoint's {@code kafkaClientFactory}: its metadata (fetched over its own connections, waiting
 * at most {@code max.block.ms}) and its {@code connection-count}. No connection of our own is
 * opened, so the tracer sees no extra connects. Outcomes: all acknowledged is delivered; a
 * delivery timeout may have written records, so it counts as timed out; any other error Kafka
 * calls retriable is retried; one it says retrying cannot fix (not authorised, record too large,
 * invalid topic) sends the batch to the dead-letter spool.
 */
public class KafkaSender implements BatchSender, KafkaClientFactory {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSender.class);

    private final KafkaClientFactory clients = new DefaultKafkaClientFactory();
    private String publishUri = "direct:kafka-publish";
    private String brokers;
    private String topic;
    private String key;
    private String hostName;
    private volatile Producer<?, ?> producer;
    private CamelContext camelContext;
    private ProducerTemplate template;

    /** The bean's init method: checks the settings. */
    public void init() {
        if (brokers == null || brokers.isBlank()) {
            throw new IllegalStateException("the kafka sink needs broker addresses: set KAFKA_BROKERS, e.g. kafka1:9092,kafka2:9092");
        }
        if (key == null || key.isBlank()) {
            key = hostName == null || hostName.isBlank() ? HostName.kernel() : hostName;
        }
    }

    @Override
    public void start(CamelContext context) {
        camelContext = context;
        template = context.createProducerTemplate();
        LOG.info("kafka sink ready: brokers {}, topic {}, record key {}", brokers, topic, key);
    }

    @Override
    public void stop() {
        if (template != null) {
            template.stop();
        }
    }

    @Override
    public Result send(List<byte[]> batch) {
        if (!metadata()) {
            // Without metadata each record would wait max.block.ms on its own: fail the batch at once.
            return Result.retry("no broker of " + brokers + " accepts connections");
        }
        Exchange exchange = new DefaultExchange(camelContext);
        // camel-kafka takes a record's key from its own message when the body is a list of messages.
        List<Message> records = new ArrayList<>(batch.size());
        for (byte[] r : batch) {
            Message m = new DefaultMessage(camelContext);
            m.setBody(r);
            m.setHeader(KafkaConstants.KEY, key);
            records.add(m);
        }
        exchange.getMessage().setBody(records);
        Exchange reply;
        try {
            reply = template.send(publishUri, exchange);
        } catch (RuntimeException e) {
            return Result.retry(describe(e));
        }
        Exception e = reply.getException();
        if (e == null) {
            return Result.delivered(batch.size());
        }
        if (find(e, TimeoutException.class) != null) {
            return Result.timedOut(describe(find(e, TimeoutException.class)) + " (kafka.delivery-timeout-ms)");
        }
        ApiException kafka = find(e, ApiException.class);
        if (kafka != null && !(kafka instanceof RetriableException)) {
            return Result.rejected(0, batch.size(), describe(kafka));
        }
        return Result.retry(describe(kafka != null ? kafka : e));
    }

    /** Worth trying again when the producer knows the topic's partitions and holds a broker connection. */
    @Override
    public boolean healthy() {
        return metadata() && connections() > 0;
    }

    /** The topic's metadata, from the producer's cache or fetched by it (waiting at most max.block.ms). */
    private boolean metadata() {
        Producer<?, ?> p = producer;
        if (p == null) {
            return false;
        }
        try {
            return !p.partitionsFor(topic).isEmpty();
        } catch (KafkaException e) {
            LOG.debug("kafka metadata for {}: {}", topic, e.toString());
            return false;
        }
    }

    /** The producer's own count of open broker connections. */
    private double connections() {
        Producer<?, ?> p = producer;
        for (java.util.Map.Entry<MetricName, ? extends Metric> m : p.metrics().entrySet()) {
            if (m.getKey().name().equals("connection-count") && m.getKey().group().equals("producer-metrics")) {
                return ((Number) m.getValue().metricValue()).doubleValue();
            }
        }
        return 1; // no such metric in this client version: trust the metadata
    }

    /** camel-kafka creates its producer here: keep it, to ask it about the brokers. */
    @Override
    public Producer getProducer(Properties props) {
        Producer<?, ?> p = clients.getProducer(props);
        producer = p;
        return p;
    }

    @Override
    public Consumer getConsumer(Properties props) {
        return clients.getConsumer(props);
    }

    @Override
    public String getBrokers(KafkaConfiguration configuration) {
        return clients.getBrokers(configuration);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** The route that ends in the kafka: endpoint (routes/sink-kafka.yaml). */
    public void setPublishUri(String publishUri) {
        this.publishUri = publishUri;
    }

    /** host:port list, for messages; the kafka: endpoint gets the same list. */
    public void setBrokers(String brokers) {
        this.brokers = brokers;
    }

    /** The topic the kafka: endpoint writes to, whose metadata tells whether a broker answers. */
    public void setTopic(String topic) {
        this.topic = topic;
    }

    /** Record key of every event; empty means this host's name. */
    public void setKey(String key) {
        this.key = key;
    }

    /** This host's name as the events carry it (tcptrace.host); empty: the kernel's. */
    public void setHostName(String hostName) {
        this.hostName = hostName;
    }
}
