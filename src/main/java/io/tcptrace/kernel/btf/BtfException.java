package io.tcptrace.kernel.btf;

import io.tcptrace.bcc.BccException;

/**
 * The kernel's BTF is missing, malformed, or lacks a type or member tcptrace needs. A
 * {@link BccException} so that start-up reports it as its one error line.
 */
public final class BtfException extends BccException {
    private static final long serialVersionUID = 1L;

    public BtfException(String message) {
        super(message);
    }

    public BtfException(String message, Throwable cause) {
        super(message, cause);
    }
}
