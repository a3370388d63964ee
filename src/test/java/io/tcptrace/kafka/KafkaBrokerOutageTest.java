package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.delivery.DeliveryState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A broker stopped mid-stream: reported and memory moved to the spool within seconds (not after
 * the client's 30 s delivery timeout), the client's reconnect warnings said once, no error
 * handler stack traces, and after the restart every event arrives exactly once.
 */
class KafkaBrokerOutageTest extends KafkaFaultFixture {

    @Override
    protected boolean createsTopic() {
        return true;
    }

    @Test
    void aStoppedBrokerIsReportedAndSpooledWithinSecondsAndEverythingArrivesOnce() throws Exception {
        connects(50);
        await("first events acknowledged", () -> delivery().getDelivered() >= 50);
        assertEquals(1, linesAbout("kafka sink ready: topic " + topic() + " has 3 partitions").size(), log.lines().toString());
        ch.qos.logback.classic.Logger network = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger("org.apache.kafka.clients.NetworkClient");
        ch.qos.logback.classic.Level level = network.getLevel();
        network.setLevel(ch.qos.logback.classic.Level.WARN); // as the tracer runs (the test broker quiets it)
        int reconnectWarningsBefore = linesAbout("could not be established").size();
        broker.stop();
        try {
            long stopped = System.nanoTime();
            connects(100);
            // The client would hold these until kafka.delivery-timeout-ms (30 s): reported in seconds.
            await("the sink failing with nothing left in memory", () -> endpoint().getFailingForMillis() > 0
                    && endpoint().getState() == DeliveryState.FAILING && endpoint().getQueueDepth() == 0);
            connects(100);
            await("new events spooled at once", () -> delivery().getSpooled() >= 100);
            double seconds = (System.nanoTime() - stopped) / 1e9;
            assertTrue(seconds < 15, "reported after " + seconds + " s, the delivery timeout is 30 s");
            Thread.sleep(5000); // the client tries to reconnect all along: about once a second
            assertTrue(linesAbout("could not be established").size() - reconnectWarningsBefore <= 1,
                    linesAbout("could not be established").toString());
            assertEquals(List.of(), linesAbout("Failed delivery for"), "Camel's error handler logging each failure");
            assertEquals(0, delivery().getLostTotal());
        } finally {
            network.setLevel(level);
            broker.start();
        }
        connects(20);
        await("every event delivered after the restart", () -> delivery().getDelivered() >= 270);
        assertExactlyOnce(270);
        assertEquals(0, delivery().getLostTotal());
    }
}
