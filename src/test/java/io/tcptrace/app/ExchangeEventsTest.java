package io.tcptrace.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifier;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.junit.jupiter.api.Test;

/** Exchange event notification is turned off only when no notifier wants exchange events. */
class ExchangeEventsTest {

    @Test
    void offWhenOnlyContextAndRouteNotifiersAreRegistered() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            MicrometerRouteEventNotifier routes = new MicrometerRouteEventNotifier();
            context.getManagementStrategy().addEventNotifier(routes);
            context.start();
            assertTrue(context.getCamelContextExtension().isEventNotificationApplicable());
            Operations.quietenExchangeEvents(context);
            assertTrue(routes.isIgnoreExchangeEvents());
            assertFalse(context.getCamelContextExtension().isEventNotificationApplicable());
        }
    }

    @Test
    void stayOnWhenANotifierWantsExchangeEvents() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.getManagementStrategy().addEventNotifier(new MicrometerRouteEventNotifier());
            context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
                @Override
                public void notify(CamelEvent event) {
                }
            });
            context.start();
            Operations.quietenExchangeEvents(context);
            assertTrue(context.getCamelContextExtension().isEventNotificationApplicable(),
                    "a user's notifier still gets exchange events");
        }
    }
}
