package io.tcptrace.camel;

import io.tcptrace.kernel.TracerConfiguration;
import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/** The {@code bcc:} component: kernel events traced with BPF programs compiled by libbcc. */
@Component("bcc")
public class BccComponent extends DefaultComponent {
    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        BccEndpoint endpoint = new BccEndpoint(uri, this);
        endpoint.setProgram(remaining);
        endpoint.setConfiguration(new TracerConfiguration());
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
