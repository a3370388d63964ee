package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.KernelTestSupport;
import io.tcptrace.delivery.DeliveryEndpoint;
import io.tcptrace.delivery.DeliveryState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Splunk and Kafka at once, each its own delivery: endpoint: Kafka's broker is unreachable, Splunk is not held up. */
class TwoNetworkSinksTest extends SplunkSinkTestSupport {

    @Override
    protected List<String> sinks() {
        return List.of("splunk", "kafka");
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        // Refused, on a port of its own: the traced port would count the Kafka client's own connects.
        try {
            p.setProperty("kafka.brokers", "127.0.0.1:" + KernelTestSupport.refusedPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        p.setProperty("kafka.spool-dir", outputFile().getParent().resolve("kafka-spool").toString());
        p.setProperty("kafka.max-block-ms", "500");
        p.setProperty("kafka.request-timeout-ms", "500");
        p.setProperty("kafka.delivery-timeout-ms", "1000");
        p.setProperty("kafka.shutdown-timeout-ms", "2000");
        return p;
    }

    @Test
    void eachSinkDeliversOrSpoolsOnItsOwn() throws Exception {
        DeliveryEndpoint kafka = DeliveryEndpoint.find(context, "kafka").orElseThrow();
        connects(40);
        await("splunk indexed every event", () -> indexed().size() >= 40);
        await("kafka spooled every event", () -> kafka.getStats().getSpooled() >= 40);
        assertEquals(40, new HashSet<>(keys(indexed())).size());
        // HEC indexes before its answer reaches the sender, which counts on the answer
        await("splunk's answer counted", () -> delivery().getDelivered() >= 40);
        assertEquals(40, delivery().getDelivered());
        assertEquals(0, delivery().getSpooled());
        assertEquals(DeliveryState.DIRECT, endpoint().getState());
        assertEquals(0, kafka.getStats().getDelivered());
        assertTrue(kafka.getState() != DeliveryState.DIRECT);
        assertTrue(Files.isDirectory(outputFile().getParent().resolve("kafka-spool/spool")));
        await("the spool's buffer written once idle (100 ms)", () -> kafka.getSpoolBytes() > 0);
    }
}
