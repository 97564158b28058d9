package org.deltanet;

/** How matrix products round their inputs ({@link ModelOptions#precision(Precision)}). */
public enum Precision {
    /** Activations stay float32; bfloat16 weights are widened exactly (the default). */
    EXACT(dn_precision.DN_PRECISION_EXACT),
    /** Where weights are bfloat16, prefill matrix products also round activations to bfloat16. */
    FAST(dn_precision.DN_PRECISION_FAST);

    final int code;

    Precision(int code) { this.code = code; }

    static Precision of(int code) { return code == dn_precision.DN_PRECISION_FAST ? FAST : EXACT; }
}
