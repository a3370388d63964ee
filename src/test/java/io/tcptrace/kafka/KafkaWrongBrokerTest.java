package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.LogCapture;
import io.tcptrace.app.YamlRoutesAccess;
import io.tcptrace.delivery.DeliveryEndpoint;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A broker address where nothing listens: a clear message, and every event kept in the spool. */
class KafkaWrongBrokerTest extends YamlRoutesAccess {
    private static LogCapture LOG; // from before the sink starts: it says what it found there

    @BeforeAll
    static void capture() {
        LOG = new LogCapture();
    }

    @AfterAll
    static void release() {
        LOG.close();
    }

    @Override
    protected List<String> sinks() {
        return List.of("kafka");
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("kafka.brokers", "127.0.0.1:" + port()); // refused, like the traced connects
        p.setProperty("kafka.spool-dir", outputFile().getParent().resolve("spool").toString());
        p.setProperty("kafka.request-timeout-ms", "1000");
        p.setProperty("kafka.delivery-timeout-ms", "2000");
        p.setProperty("kafka.max-block-ms", "1000");
        p.setProperty("kafka.shutdown-timeout-ms", "3000");
        return p;
    }

    @Test
    void eventsAreSpooledAndTheLogNamesTheAddress() throws Exception {
        DeliveryEndpoint endpoint = DeliveryEndpoint.find(context, "kafka").orElseThrow();
        var delivery = endpoint.getStats();
        connects(30);
        await("events spooled", () -> delivery.getSpooled() >= 30);
        await("the failure named", () -> LOG.contains("no broker of 127.0.0.1:" + port() + " accepts connections"));
        assertTrue(endpoint.getFailingForMillis() > 0, "failing from the first attempt");
        assertFalse(LOG.contains("kafka sink ready"), "ready without a broker: " + LOG.lines());
        assertEquals(0, delivery.getDelivered());
        assertEquals(0, delivery.getLostTotal());
        await("the spool's buffer written once idle (100 ms)", () -> endpoint.getSpoolBytes() > 0);
    }
}
