package io.tcptrace.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcptrace.camel.BccConsumer;
import io.tcptrace.ops.TcptraceHealth;
import java.util.List;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.Test;

/**
 * A topic that does not exist on brokers that do not create topics: named as such (not blamed
 * on the brokers), health DOWN at once, the events wait in the spool and arrive once it exists.
 */
class KafkaMissingTopicTest extends KafkaFaultFixture {

    @Override
    protected boolean createsTopic() {
        return false;
    }

    @Test
    void aMissingTopicIsNamedAndItsEventsWaitUntilItExists() throws Exception {
        TcptraceHealth.register(context, (BccConsumer) context.getRoute("tcp-connect").getConsumer(), 300);
        connects(30);
        await("the missing topic reported", () -> endpoint().getMisconfiguration() != null);
        String reason = endpoint().getMisconfiguration();
        assertTrue(reason.contains("topic " + topic() + " does not exist") && reason.contains("KAFKA_TOPIC"), reason);
        HealthCheck.Result health = sinkHealth();
        assertEquals(HealthCheck.State.DOWN, health.getState(), "DOWN at once, not after sink-failure-seconds (300)");
        assertTrue(health.getMessage().orElse("").contains("does not exist"), health.getMessage().toString());
        await("the events spooled", () -> delivery().getSpooled() >= 30);
        assertEquals(1, log.lines().stream().filter(l -> l.startsWith("ERROR") && l.contains(topic() + " does not exist"))
                .count(), log.lines().toString());
        assertEquals(List.of(), linesAbout("no broker of"), "the brokers answered: not blamed");
        assertEquals(List.of(), linesAbout("kafka sink ready: topic " + topic() + " "), "not ready without the topic");
        assertEquals(0, delivery().getDelivered());
        assertEquals(0, delivery().getDeadLettered(), "nothing thrown aside for a configuration fault");

        broker.createTopic(topic(), 1);
        await("every event delivered once the topic exists", () -> delivery().getDelivered() >= 30);
        assertExactlyOnce(30);
        await("the refusal is over", () -> endpoint().getMisconfiguration() == null);
        assertEquals(HealthCheck.State.UP, sinkHealth().getState());
    }
}
