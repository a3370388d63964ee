package io.tcptrace.bcc;

import com.sun.jna.Pointer;

/**
 * Receives each record of a kernel buffer on the poll thread, inside the native callback.
 * {@code data} is only valid during the call: copy what you need before returning.
 */
@FunctionalInterface
public interface RecordHandler {
    void onRecord(Pointer data, int size);
}
