package io.tcptrace.bcc;

/**
 * A libbcc or kernel operation failed. The message is one line meant for the operator:
 * it names the cause and, where there is one, the fix.
 */
public class BccException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BccException(String message) {
        super(message);
    }

    public BccException(String message, Throwable cause) {
        super(message, cause);
    }
}
