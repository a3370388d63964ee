package io.tcptrace.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcptrace.KernelCamelTestSupport;
import io.tcptrace.camel.BccConsumer;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.Test;

/** The probes health check follows the real attach state of the bcc: consumer. */
class TcptraceHealthTest extends KernelCamelTestSupport {

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("bcc:tcpconnect?probe=" + PROBE + "&destPorts=9&cacheDir=" + CACHE_DIR).routeId("trace").to("log:ignored?level=OFF");
            }
        };
    }

    private HealthCheck.State probes() {
        return HealthCheckHelper.invoke(context).stream().filter(r -> r.getCheck().getId().equals("tcptrace-probes"))
                .findFirst().orElseThrow().getState();
    }

    @Test
    void downWhileTheProbesAreDetached() throws Exception {
        TcptraceHealth.register(context, (BccConsumer) context.getRoute("trace").getConsumer(), 300);
        assertEquals(HealthCheck.State.UP, probes());
        context.getRouteController().suspendRoute("trace"); // detaches the probes
        assertEquals(HealthCheck.State.DOWN, probes());
        context.getRouteController().resumeRoute("trace");
        assertEquals(HealthCheck.State.UP, probes());
        context.getRouteController().stopRoute("trace");
        assertEquals(HealthCheck.State.DOWN, probes());
    }
}
