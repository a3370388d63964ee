package io.tcptrace.app;

import io.tcptrace.bcc.BccException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.apache.camel.ResolveEndpointFailedException;

/**
 * Turns a start-up failure into the one line an operator needs: the deepest cause that tcptrace
 * or Camel explained in words, not the stack of wrappers around it.
 */
final class StartupFailure {
    private StartupFailure() {
    }

    static int report(Throwable e) {
        System.err.println("tcptrace: " + describe(e));
        if (Boolean.getBoolean("tcptrace.debug")) {
            e.printStackTrace();
        }
        return 1;
    }

    static String describe(Throwable e) {
        // A cause chain can loop (a library that sets A's cause to B and B's to A): walk each link once.
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable best = null;
        Throwable deepest = e;
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof BccException || t instanceof IllegalArgumentException
                    || t instanceof IllegalStateException || t instanceof ResolveEndpointFailedException) {
                best = t;
            }
            deepest = t;
        }
        if (best == null) {
            best = deepest;
        }
        String message = best.getMessage() == null ? best.getClass().getName() : best.getMessage();
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
