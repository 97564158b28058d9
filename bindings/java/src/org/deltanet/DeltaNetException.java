package org.deltanet;

/** A library call failed: {@link #status()} says how, the message (from dn_last_error) says what. */
public class DeltaNetException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Status status;

    /** An exception for {@code status} with the library's {@code message}. */
    public DeltaNetException(Status status, String message) {
        super(status + ": " + (message == null || message.isEmpty() ? status.description() : message));
        this.status = status;
    }

    /** Why the call failed. */
    public Status status() { return status; }

    /** Used by the generated module on every dn_status result: reads the calling thread's message
     *  right after the failed call. Returns {@code status} (OK) when there is nothing to throw. */
    static int check(int status) {
        if (status != dn_status.DN_OK) throw new DeltaNetException(Status.of(status), DeltaNetNative.dn_last_error());
        return status;
    }
}
