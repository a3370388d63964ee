package io.tcptrace.kafka;

import io.tcptrace.delivery.CamelBatchSender;
import io.tcptrace.event.HostName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a batch of event JSON records to the publishing route of routes/sink-kafka.yaml, whose
 * camel-kafka producer sends them as one record each and completes once the broker has
 * acknowledged all of them ({@code acks=all}). Every record gets the same key, the host name,
 * so one host's events stay in one partition, in order.
 *
 * <p>Outcomes for {@link io.tcptrace.delivery.StoreAndForward}: all acknowledged is delivered;
 * a timeout, a broker that cannot be reached or any error Kafka calls retriable is retried (the
 * batch waits in the spool); an error Kafka says retrying cannot fix (not authorised, record too
 * large, invalid topic) sends the batch to the dead-letter spool.
 */
public class KafkaSender extends CamelBatchSender {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSender.class);

    private String publishUri = "direct:kafka-publish";
    private String brokers;
    private String key;
    private int healthTimeoutMillis = 2000;

    /** The bean's init method: checks the settings. */
    public void init() {
        if (brokers == null || brokers.isBlank()) {
            throw new IllegalStateException("the kafka sink needs broker addresses: set KAFKA_BROKERS, e.g. kafka1:9092,kafka2:9092");
        }
        if (key == null || key.isBlank()) {
            key = HostName.kernel();
        }
    }

    @Override
    public void onStart() {
        if (healthy()) {
            LOG.info("kafka sink ready: brokers {}, record key {}", brokers, key);
        } else {
            LOG.warn("kafka sink: no broker of {} accepts connections yet: events wait in the spool until one does",
                    brokers);
        }
    }

    @Override
    public Result send(List<byte[]> batch) {
        if (!healthy()) {
            // Without a broker each record would wait max.block.ms for metadata: fail the batch at once.
            return Result.retry("no broker of " + brokers + " accepts connections");
        }
        Exchange exchange = new DefaultExchange(getCamelContext());
        // camel-kafka takes a record's key from its own message when the body is a list of messages.
        List<Message> records = new ArrayList<>(batch.size());
        for (byte[] r : batch) {
            Message m = new DefaultMessage(getCamelContext());
            m.setBody(r);
            m.setHeader(KafkaConstants.KEY, key);
            records.add(m);
        }
        exchange.getMessage().setBody(records);
        Exchange reply;
        try {
            reply = template().send(publishUri, exchange);
        } catch (RuntimeException e) {
            return Result.retry(describe(e));
        }
        Exception e = reply.getException();
        if (e == null) {
            return Result.delivered(batch.size());
        }
        ApiException kafka = find(e, ApiException.class);
        if (kafka != null && !(kafka instanceof RetriableException)
                && !(kafka instanceof org.apache.kafka.common.errors.TimeoutException)) {
            return Result.rejected(0, batch.size(), describe(kafka));
        }
        return Result.retry(describe(kafka != null ? kafka : e));
    }

    /** A broker is worth trying when any of the bootstrap addresses accepts a TCP connection. */
    @Override
    public boolean healthy() {
        for (String address : brokers.split(",")) {
            String a = address.strip();
            int colon = a.lastIndexOf(':');
            if (colon <= 0) {
                continue;
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(a.substring(0, colon).replaceAll("^\\[|]$", ""),
                        Integer.parseInt(a.substring(colon + 1))), healthTimeoutMillis);
                return true;
            } catch (IOException | IllegalArgumentException e) {
                // try the next one
            }
        }
        return false;
    }

    @Override
    public String name() {
        return "kafka";
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

    /** host:port list, for the health check; the kafka: endpoint gets the same list. */
    public void setBrokers(String brokers) {
        this.brokers = brokers;
    }

    /** Record key of every event; empty means this host's name. */
    public void setKey(String key) {
        this.key = key;
    }

    public void setHealthTimeoutMillis(int healthTimeoutMillis) {
        this.healthTimeoutMillis = healthTimeoutMillis;
    }
}
