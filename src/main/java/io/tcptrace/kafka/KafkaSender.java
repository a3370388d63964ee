package io.tcptrace.kafka;

import io.tcptrace.delivery.BatchSender;
import io.tcptrace.event.HostName;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
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
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
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
 * opened, so the tracer sees no extra connects. Outcomes: all acknowledged is delivered; no
 * broker connected for a second while the client holds the batch is reported at once (the
 * delivery thread spools and counts the sink failing) and the send waits on for the client's
 * answer; a delivery timeout may have written records, so it counts as timed out; a missing
 * topic, a refused login or topic authorisation is this sink's configuration (the records wait,
 * health DOWN with the setting to check); any other error Kafka calls retriable is retried; one
 * it says retrying cannot fix (a record too large) sends the batch to the dead-letter spool.
 */
public class KafkaSender implements BatchSender, KafkaClientFactory {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSender.class);
    private static final long WAIT_SLICE_MILLIS = 200;
    private static final long UNCONNECTED_MILLIS = 1000;
    private static final long CLOSE_MILLIS = 2000;

    private final KafkaClientFactory clients = new DefaultKafkaClientFactory();
    private String publishUri = "direct:kafka-publish";
    private String brokers;
    private String topic;
    private String key;
    private String hostName;
    private volatile Producer<?, ?> producer;
    private boolean ready; // delivery thread only
    private CamelContext camelContext;
    private ProducerTemplate template;
    private ExecutorService sendThread;

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
        // One batch is in flight at a time (the delivery thread waits for it): one thread, instead of
        // the template's default pool, which grows to 10 threads over the first 10 batches.
        sendThread = context.getExecutorServiceManager().newSingleThreadExecutor(this, "kafka-send");
        template.setExecutorService(sendThread);
    }

    /**
     * Closes the Kafka producer within a bound: camel-kafka's own close, when its route stops,
     * waits for every record the client holds, up to the delivery timeout when no broker answers.
     * What is still unsent then was spooled by the delivery endpoint's stop.
     */
    @Override
    public void stop() {
        if (template != null) {
            template.stop();
        }
        Producer<?, ?> p = producer;
        if (p != null && camelContext != null && camelContext.isStopping()) { // a route restart keeps it
            p.close(java.time.Duration.ofMillis(CLOSE_MILLIS));
        }
        if (sendThread != null) {
            camelContext.getExecutorServiceManager().shutdown(sendThread);
        }
    }

    /** Ready only once a broker has answered with the topic's partitions. */
    @Override
    public Result connect() {
        Result problem = metadataProblem();
        return problem == null ? Result.delivered(0) : problem;
    }

    @Override
    public Result send(List<byte[]> batch) {
        return send(batch, reason -> { });
    }

    @Override
    public Result send(List<byte[]> batch, Waiting waiting) {
        Result problem = metadataProblem();
        if (problem != null) {
            // Without metadata each record would wait max.block.ms on its own: fail the batch at once.
            return problem;
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
            reply = await(template.asyncSend(publishUri, exchange), batch.size(), waiting);
            if (reply == null) {
                return Result.timedOut("the application's stop deadline passed with " + batch.size()
                        + " records not acknowledged: the Kafka client was closed; the brokers may have written them");
            }
        } catch (RuntimeException e) {
            return Result.retry(describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.retry("interrupted while the brokers had not acknowledged the batch");
        }
        Exception e = reply.getException();
        if (e == null) {
            return Result.delivered(batch.size());
        }
        return classify(e, batch.size());
    }

    /**
     * Waits for the brokers' acknowledgement; null when the application's stop deadline passed
     * first. The Kafka client keeps a batch until its delivery timeout even with no broker
     * connected; the delivery thread is told as soon as no broker has been connected for
     * {@value #UNCONNECTED_MILLIS} ms, so it can report and spool at once.
     */
    private Exchange await(CompletableFuture<Exchange> reply, int records, Waiting waiting) throws InterruptedException {
        long unconnectedSince = 0;
        boolean told = false;
        while (true) {
            try {
                return reply.get(WAIT_SLICE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long deadline = waiting.stopDeadlineNanos();
                if (deadline != 0 && System.nanoTime() - deadline > 0) {
                    // Closing fails what the client holds, which ends the exchange Camel's stop waits for.
                    producer.close(java.time.Duration.ZERO);
                    return null;
                }
                if (told) {
                    continue;
                }
                if (connections() > 0) {
                    unconnectedSince = 0;
                } else if (unconnectedSince == 0) {
                    unconnectedSince = System.nanoTime();
                } else if (System.nanoTime() - unconnectedSince >= UNCONNECTED_MILLIS * 1_000_000L) {
                    told = true;
                    waiting.failing("no broker of " + brokers + " is connected (the Kafka client holds a batch of "
                            + records + " records until kafka.delivery-timeout-ms)");
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** A failed send: the setting to check when the cause is this sink's configuration. */
    private Result classify(Exception e, int records) {
        Result config = configurationProblem(e);
        if (config != null) {
            return config;
        }
        TimeoutException timeout = find(e, TimeoutException.class);
        if (timeout != null && String.valueOf(timeout.getMessage()).contains("not present in metadata")) {
            return missingTopicOrBrokers(timeout);
        }
        if (timeout != null) {
            return Result.timedOut(describe(timeout) + ": the brokers did not acknowledge within"
                    + " kafka.delivery-timeout-ms; raise it if they are slow");
        }
        ApiException kafka = find(e, ApiException.class);
        if (kafka != null && !(kafka instanceof RetriableException)) {
            return Result.rejected(0, records, describe(kafka));
        }
        return Result.retry(describe(kafka != null ? kafka : e));
    }

    /** Refusals that no retry fixes but a setting does: the records wait in the spool. */
    private Result configurationProblem(Throwable e) {
        if (find(e, AuthenticationException.class) != null) {
            return Result.misconfigured("the brokers refused to authenticate this client ("
                    + describe(find(e, AuthenticationException.class))
                    + "): check camel.component.kafka.security-protocol, sasl-mechanism and sasl-jaas-config");
        }
        if (find(e, AuthorizationException.class) != null) {
            return Result.misconfigured("this client may not write topic " + topic + " ("
                    + describe(find(e, AuthorizationException.class))
                    + "): grant it Write and Describe on the topic, or set KAFKA_TOPIC to one it may write");
        }
        if (find(e, InvalidTopicException.class) != null) {
            return Result.misconfigured("the brokers call the topic name '" + topic + "' invalid: set KAFKA_TOPIC");
        }
        return null;
    }

    /** The producer's metadata for the topic; null when it has partitions, else why not. */
    private Result metadataProblem() {
        Producer<?, ?> p = producer;
        if (p == null) {
            return Result.retry("the Kafka producer has not started");
        }
        try {
            int partitions = p.partitionsFor(topic).size();
            if (partitions == 0) {
                return Result.retry("topic " + topic + " has no partitions");
            }
            if (!ready) {
                ready = true; // said once: the first time a broker answered with the topic
                LOG.info("kafka sink ready: topic {} has {} partitions on brokers {}, record key {}", topic, partitions,
                        brokers, key);
            }
            return null;
        } catch (KafkaException e) {
            Result config = configurationProblem(e);
            if (config != null) {
                return config;
            }
            if (e instanceof TimeoutException t) {
                return missingTopicOrBrokers(t);
            }
            return Result.retry(describe(e));
        }
    }

    /**
     * No metadata for the topic in max.block.ms: with a broker connection open the brokers answered
     * and do not have the topic (auto-creation off); without one, no broker answered.
     */
    private Result missingTopicOrBrokers(TimeoutException e) {
        if (connections() > 0) {
            return Result.misconfigured("topic " + topic + " does not exist on brokers " + brokers
                    + " and they do not create topics: create it, or set KAFKA_TOPIC to one that exists");
        }
        return Result.retry("no broker of " + brokers + " accepts connections (" + describe(e) + ")");
    }

    /** Worth trying again when the producer knows the topic's partitions and holds a broker connection. */
    @Override
    public boolean healthy() {
        return metadataProblem() == null && connections() > 0;
    }

    /** The producer's own count of open broker connections. */
    private double connections() {
        Producer<?, ?> p = producer;
        if (p == null) {
            return 0;
        }
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
