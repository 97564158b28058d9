package org.deltanet;

/** The result of a library call; every value but {@link #OK} arrives as a {@link DeltaNetException}. */
public enum Status {
    OK(dn_status.DN_OK),
    NULL_ARGUMENT(dn_status.DN_ERR_NULL_ARGUMENT),
    INVALID_ARGUMENT(dn_status.DN_ERR_INVALID_ARGUMENT),
    IO(dn_status.DN_ERR_IO),
    MALFORMED_FILE(dn_status.DN_ERR_MALFORMED_FILE),
    MODEL_MISMATCH(dn_status.DN_ERR_MODEL_MISMATCH),
    UNSUPPORTED(dn_status.DN_ERR_UNSUPPORTED),
    TOKEN_OUT_OF_RANGE(dn_status.DN_ERR_TOKEN_OUT_OF_RANGE),
    BUFFER_TOO_SMALL(dn_status.DN_ERR_BUFFER_TOO_SMALL),
    STATE_MISMATCH(dn_status.DN_ERR_STATE_MISMATCH),
    STATE_CORRUPT(dn_status.DN_ERR_STATE_CORRUPT),
    CONTEXT_FULL(dn_status.DN_ERR_CONTEXT_FULL),
    OUT_OF_MEMORY(dn_status.DN_ERR_OUT_OF_MEMORY),
    DEVICE(dn_status.DN_ERR_DEVICE),
    INTERNAL(dn_status.DN_ERR_INTERNAL),
    /** A code from a newer library than these bindings know. */
    UNKNOWN(-1);

    private final int code;

    Status(int code) { this.code = code; }

    /** The C API's value (dn_status). */
    public int code() { return code; }

    /** The library's short English description ("token id out of range"). */
    public String description() { return DeltaNetNative.dn_swig_status_string(code); }

    /** The status of a C API value; {@link #UNKNOWN} for one this version does not know. */
    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) return s;
        }
        return UNKNOWN;
    }
}
