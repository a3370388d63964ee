package io.tcptrace.splunk;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Indexer acknowledgement bookkeeping: per channel, ackIds counting up from 0, one per successful event request.
 * An ackId turns true once its time comes (a delay after the POST, or a test's release), is reported true once,
 * and is then forgotten, so later queries for it answer false. A "lost" ackId never turns true: the client must
 * give up on it and resend.
 */
final class HecAcks {
    /** Splunk wants a GUID as channel identifier. */
    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private static final class Pending {
        Instant readyAt; // null: held until a test releases it
        boolean lost;
    }

    private static final class Channel {
        long nextId;
        final Map<Long, Pending> pending = new LinkedHashMap<>();
        final List<Long> issued = new ArrayList<>();
        final List<Long> queried = new ArrayList<>();
        final Set<Long> confirmed = new LinkedHashSet<>();
    }

    private final Map<String, Channel> channels = new HashMap<>();
    private final Duration delay;
    private final boolean manual;
    private int loseNext;

    /**
     * @param delay  how long after the POST an ackId turns true (ignored when manual)
     * @param manual true: ackIds stay false until {@link #releaseAll()}
     */
    HecAcks(Duration delay, boolean manual) {
        this.delay = delay;
        this.manual = manual;
    }

    static boolean isValidChannel(String channel) {
        return GUID.matcher(channel).matches();
    }

    synchronized long issue(String channel) {
        Channel c = channels.computeIfAbsent(channel, k -> new Channel());
        long id = c.nextId++;
        Pending p = new Pending();
        p.readyAt = manual ? null : Instant.now().plus(delay);
        if (loseNext > 0) {
            loseNext--;
            p.lost = true;
        }
        c.pending.put(id, p);
        c.issued.add(id);
        return id;
    }

    /** Answers one {@code /services/collector/ack} query; true ackIds are forgotten afterwards. */
    synchronized Map<Long, Boolean> query(String channel, List<Long> ids) {
        Channel c = channels.computeIfAbsent(channel, k -> new Channel());
        Instant now = Instant.now();
        Map<Long, Boolean> answer = new LinkedHashMap<>();
        for (Long id : ids) {
            c.queried.add(id);
            Pending p = c.pending.get(id);
            boolean done = p != null && !p.lost && p.readyAt != null && !now.isBefore(p.readyAt);
            if (done) {
                c.pending.remove(id);
                c.confirmed.add(id);
            }
            answer.put(id, done);
        }
        return answer;
    }

    /** Makes every pending, not lost ackId true from now on. */
    synchronized void releaseAll() {
        Instant now = Instant.now();
        for (Channel c : channels.values()) {
            for (Pending p : c.pending.values()) {
                p.readyAt = now;
            }
        }
    }

    synchronized void loseNext(int count) {
        loseNext += count;
    }

    /** Loses an ackId already issued; false if the channel has no such pending ackId. */
    synchronized boolean lose(String channel, long ackId) {
        Channel c = channels.get(channel);
        Pending p = c == null ? null : c.pending.get(ackId);
        if (p == null) {
            return false;
        }
        p.lost = true;
        return true;
    }

    synchronized List<Long> issued(String channel) {
        Channel c = channels.get(channel);
        return c == null ? List.of() : List.copyOf(c.issued);
    }

    synchronized List<Long> queried(String channel) {
        Channel c = channels.get(channel);
        return c == null ? List.of() : List.copyOf(c.queried);
    }

    synchronized Set<Long> confirmed(String channel) {
        Channel c = channels.get(channel);
        return c == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(c.confirmed));
    }
}
