package org.deltanet;

/** Where a model's weights live ({@link ModelOptions#weights(WeightMemory)}). */
public enum WeightMemory {
    /** Copied into the model's own memory (the default). */
    COPY(dn_weight_memory.DN_WEIGHTS_COPY),
    /** CPU only: read in place from the memory-mapped checkpoint (no copy; GPU devices copy regardless). */
    MAPPED(dn_weight_memory.DN_WEIGHTS_MAPPED);

    final int code;

    WeightMemory(int code) { this.code = code; }

    static WeightMemory of(int code) { return code == dn_weight_memory.DN_WEIGHTS_MAPPED ? MAPPED : COPY; }
}
