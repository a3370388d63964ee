package io.tcptrace.bcc;

import java.nio.ByteBuffer;

/**
 * Receives each record of a kernel buffer on the poll thread: {@code length} bytes at
 * {@code offset} of {@code data} (little endian). The bytes are kernel-shared memory, valid only
 * during the call: decode what you need before returning. Must not throw: a record that cannot
 * be decoded is the handler's to count.
 */
@FunctionalInterface
public interface RecordHandler {
    void onRecord(ByteBuffer data, int offset, int length);
}
