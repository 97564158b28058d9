package org.deltanet;

/** Which logits {@link State#forward} returns. */
public enum LogitsMode {
    /** None (prefill only): an empty array. */
    NONE(dn_logits_mode.DN_LOGITS_NONE),
    /** The last position's: vocabSize floats. */
    LAST(dn_logits_mode.DN_LOGITS_LAST),
    /** Every position's: tokens x vocabSize floats, row-major. */
    ALL(dn_logits_mode.DN_LOGITS_ALL);

    final int code;

    LogitsMode(int code) { this.code = code; }
}
