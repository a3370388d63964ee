package io.tcptrace.names;

import io.tcptrace.event.EventSchema.Type;
import java.nio.ByteBuffer;

/**
 * dest_host for the decoder: DNS answer records go in ({@link #accept}), each connection event
 * gets the name of its acceptor's address in its namespace ({@link #of}). A connect or accept
 * looks it up in the {@link NameCache}; its updates and close take the one it got then.
 * One instance per poll thread.
 */
public final class DestinationNames {
    private final NameCache cache;
    private final DnsAnswers answers;
    private final ConnectionNames connections;
    private final boolean keepForClose;
    private volatile boolean forget;

    /** @param keepForClose close events are traced: keep each named connection's name until its close */
    public DestinationNames(NameSettings settings, boolean keepForClose) {
        this.cache = new NameCache(settings);
        this.answers = new DnsAnswers(cache);
        this.connections = new ConnectionNames(settings.connectionsMax());
        this.keepForClose = keepForClose;
    }

    /**
     * A DNS answer record (kind {@link DnsAnswers#KIND}); false when malformed. Its TTL runs from
     * its own timestamp (the kernel's monotonic clock, which System.nanoTime also reads).
     */
    public boolean accept(ByteBuffer b, int off, int length) {
        return length >= DnsAnswers.MESSAGE && answers.accept(b, off, length, b.getLong(off + DnsAnswers.TS_NS));
    }

    /**
     * After a re-attach: the kernel forgot the connections open before the detach, so their closes
     * will not come; their names go too. Any thread; done on the poll thread at its next event.
     */
    public void forgetOpenConnections() {
        forget = true;
    }

    /**
     * The name for one connection event, or null. {@code src}/{@code dest} are the offsets of the
     * initiator's and the acceptor's address ({@code length} bytes); {@code established} is false
     * for a connect that failed (no close follows it); {@code atNanos} is the event's kernel
     * timestamp (a connect's is when connect() began: the name must have been valid then).
     */
    public String of(Type type, boolean inbound, boolean established, int netns, ByteBuffer b, int src, int dest,
            int length, int sport, int dport, long atNanos) {
        if (forget) {
            forget = false;
            connections.clear();
        }
        switch (type) {
            case CONNECT, ACCEPT -> {
                String name = cache.lookup(netns, b, dest, length, atNanos);
                if (name != null && keepForClose && established) {
                    connections.put(ConnectionNames.key(inbound, netns, b, src, dest, length, sport, dport), name);
                }
                return name;
            }
            case UPDATE -> {
                return connections.size() == 0 ? null
                        : connections.get(ConnectionNames.key(inbound, netns, b, src, dest, length, sport, dport));
            }
            case CLOSE -> {
                return connections.size() == 0 ? null
                        : connections.remove(ConnectionNames.key(inbound, netns, b, src, dest, length, sport, dport));
            }
            default -> {
                return null;
            }
        }
    }

    public NameCache cache() {
        return cache;
    }

    public DnsAnswers answers() {
        return answers;
    }

    public ConnectionNames connections() {
        return connections;
    }
}
