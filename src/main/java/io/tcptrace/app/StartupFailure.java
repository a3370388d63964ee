package io.tcptrace.app;

import io.tcptrace.bcc.BccException;
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
        Throwable best = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BccException || t instanceof IllegalArgumentException
                    || t instanceof IllegalStateException || t instanceof ResolveEndpointFailedException) {
                best = t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        if (best == null) {
            best = e;
            while (best.getCause() != null && best.getCause() != best) {
                best = best.getCause();
            }
        }
        String message = best.getMessage() == null ? best.getClass().getName() : best.getMessage();
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
