package io.tcptrace.delivery;

import org.apache.camel.Route;
import org.apache.camel.support.RoutePolicySupport;

/**
 * Ties a {@link StoreAndForward} to its sink route ({@code routePolicy} in the sink's YAML): it
 * starts with the route and stops with it. Sink routes stop after the source route has drained
 * the kernel buffer into them, and before Camel closes the HTTP and Kafka clients, so a batch in
 * flight at shutdown completes instead of being cut off (and then both delivered and spooled).
 * camel-main pre-parses YAML routes and builds their beans twice; only the instance a real route
 * uses is ever started.
 */
public class DeliveryLifecycle extends RoutePolicySupport {
    private StoreAndForward delivery;

    @Override
    public void onStart(Route route) {
        try {
            delivery.start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void onStop(Route route) {
        try {
            delivery.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void setDelivery(StoreAndForward delivery) {
        this.delivery = delivery;
    }
}
