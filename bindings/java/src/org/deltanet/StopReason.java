package org.deltanet;

/** Why generation stopped. */
public enum StopReason {
    /** An end-of-sequence token (or a stop id) was generated. */
    EOS,
    /** A stop string appeared in the text. */
    STRING,
    /** maxTokens were generated. */
    MAX_TOKENS,
    /** The callback returned false (or threw). */
    CANCELLED;

    static StopReason of(int code) {
        switch (code) {
            case dn_stop_reason.DN_STOP_EOS: return EOS;
            case dn_stop_reason.DN_STOP_STRING: return STRING;
            case dn_stop_reason.DN_STOP_MAX_TOKENS: return MAX_TOKENS;
            default: return CANCELLED;
        }
    }
}
