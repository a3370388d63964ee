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

    /** @param keepForClose close events are traced: keep each named connection's name until its close */
    public DestinationNames(NameSettings settings, boolean keepForClose) {
        this.cache = new NameCache(settings);
        this.answers = new DnsAnswers(cache);
        this.connections = new ConnectionNames(settings.connectionsMax());
        this.keepForClose = keepForClose;
    }

    /** A DNS answer record (kind {@link DnsAnswers#KIND}); false when malformed. */
    public boolean accept(ByteBuffer b, int off, int length) {
        return answers.accept(b, off, length, System.nanoTime());
    }

    /**
     * The name for one connection event, or null. {@code src}/{@code dest} are the offsets of the
     * initiator's and the acceptor's address ({@code length} bytes); {@code established} is false
     * for a connect that failed (no close follows it).
     */
    public String of(Type type, boolean inbound, boolean established, int netns, ByteBuffer b, int src, int dest,
            int length, int sport, int dport) {
        switch (type) {
            case CONNECT, ACCEPT -> {
                String name = cache.lookup(netns, b, dest, length, System.nanoTime());
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
