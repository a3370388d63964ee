package io.tcptrace.camel;

import io.tcptrace.kernel.TracerConfiguration;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * Traces TCP connections in the kernel and emits one exchange per event. The options live in
 * {@link TracerConfiguration}, handed as they are to the tracer; runtime state and health are
 * the consumer's ({@link BccConsumer}).
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "bcc", title = "BCC", syntax = "bcc:program", consumerOnly = true,
             category = {Category.MONITORING}, headersClass = BccConstants.class)
public class BccEndpoint extends DefaultEndpoint {
    @UriPath(description = "The BPF program to run; tcpconnect traces TCP connections (connect, accept, close)")
    @Metadata(required = true, enums = "tcpconnect")
    private String program;
    @UriParam
    private TracerConfiguration configuration = new TracerConfiguration();

    public BccEndpoint(String uri, BccComponent component) {
        super(uri, component);
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("bcc: is consumer only: use it in from(), not to()");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        BccConsumer consumer = new BccConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (!"tcpconnect".equals(program)) {
            throw new IllegalArgumentException("unknown bcc program '" + program + "': the only one is bcc:tcpconnect");
        }
    }

    public String getProgram() {
        return program;
    }

    public void setProgram(String program) {
        this.program = program;
    }

    public TracerConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(TracerConfiguration configuration) {
        this.configuration = configuration;
    }
}
