package io.tcptrace.delivery;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.ProducerTemplate;

/** A {@link BatchSender} that sends through Camel endpoints (camel-http, a route to camel-kafka). */
public abstract class CamelBatchSender implements BatchSender, CamelContextAware {
    private CamelContext camelContext;
    private ProducerTemplate template;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
        this.template = camelContext.createProducerTemplate();
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** Sends exchanges on the delivery thread; one per sender, as Camel recommends. */
    protected ProducerTemplate template() {
        return template;
    }
}
