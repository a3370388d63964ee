package io.tcptrace.splunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Indexer acknowledgement: a batch counts as delivered only once its ackId turns true; a batch
 * whose ack never comes is sent again (at-least-once).
 */
class SplunkAckTest extends SplunkSinkTestSupport {

    @Override
    StrictHecServer.Builder hecBuilder() {
        return super.hecBuilder().useAck().ackDelay(Duration.ofMillis(150));
    }

    @Override
    protected Properties properties() {
        Properties p = super.properties();
        p.setProperty("splunk.ack", "true");
        p.setProperty("splunk.ack-timeout-ms", "1500");
        return p;
    }

    @Test
    void aLostAckMeansTheBatchIsSentAgain() throws Exception {
        hec().loseNextAcks(1);
        connects(40);
        await("every event delivered and acknowledged", () -> delivery().getDelivered() >= 40);
        List<JsonNode> got = indexed();
        assertEquals(40, new HashSet<>(keys(got)).size(), "every event indexed");
        assertTrue(got.size() > 40, "the unacknowledged batch was indexed once more: " + got.size());
        String channel = hec().requests().stream().filter(r -> r.path().endsWith("/event"))
                .map(r -> r.header("X-Splunk-Request-Channel")).findFirst().orElseThrow();
        List<Long> issued = hec().issuedAckIds(channel);
        assertTrue(issued.size() >= 2, "a resend got a new ackId: " + issued);
        assertTrue(hec().queriedAckIds(channel).containsAll(hec().confirmedAckIds(channel)));
        assertEquals(issued.size() - 1, hec().confirmedAckIds(channel).size(), "all but the lost ack confirmed");
    }
}
