package org.deltanet;

import java.lang.ref.Reference;

/** Weights and configuration of one model on one device; immutable, usable from any thread. Closing
 *  it (or its collection) drops the handle; the library keeps what states made from it need until
 *  the last of them is freed. */
public final class Model implements AutoCloseable {
    final NativeHandle handle;
    private final int vocabSize;

    private Model(long ptr) {
        handle = new NativeHandle(this, "model", ptr, DeltaNetNative::dn_model_free, null);
        int[] v = new int[1];
        DeltaNetNative.dn_model_vocab_size(ptr, v);
        vocabSize = v[0];
    }

    /** Loads the Hugging Face directory {@code path} (config.json, *.safetensors) for the stream's device. */
    public static Model load(Stream stream, String path) { return load(stream, path, null); }

    /** Loads a model with {@code options} (null: the defaults). A progress callback that returns
     *  false cancels the load ({@link Status#INVALID_ARGUMENT}); one that throws cancels it too, and
     *  its exception is rethrown here once the library has returned. */
    public static Model load(Stream stream, String path, ModelOptions options) {
        ModelOptions o = options != null ? options : new ModelOptions();
        ProgressCallback callback = o.progress();
        NativeProgress progress = callback == null ? null : callback::onProgress;
        dn_model_options nativeOptions = o.toNative();
        long[] out = new long[1];
        try {
            DeltaNetNative.dn_swig_model_load(stream.handle(), path, nativeOptions, progress, out);
        } finally {
            nativeOptions.delete();
            Reference.reachabilityFence(stream);
        }
        return new Model(out[0]);
    }

    /** Creates an empty state (no tokens seen) for this model. */
    public State newState() { return new State(this); }

    /** Creates an empty state with {@code options} (null: the defaults). */
    public State newState(StateOptions options) { return new State(this, options); }

    /**
     * Batched decode: feeds {@code tokens[i]} into {@code states[i]} (distinct states of this model)
     * in one pass that reads the weights once, and returns the logits, states.length x vocabSize
     * floats row-major (row i is states[i]'s). Equal to separate one-token
     * {@link State#forward(Stream, int[], LogitsMode)} calls. On error no state is advanced.
     */
    public float[] decodeBatch(Stream stream, State[] states, int[] tokens) {
        if (states == null || tokens == null) {
            throw new DeltaNetException(Status.NULL_ARGUMENT, "decodeBatch: states and tokens must not be null");
        }
        if (states.length != tokens.length) {
            throw new DeltaNetException(Status.INVALID_ARGUMENT,
                                        "decodeBatch: " + states.length + " states but " + tokens.length + " tokens");
        }
        long[] handles = new long[states.length];
        for (int i = 0; i < states.length; ++i) handles[i] = states[i] == null ? 0 : states[i].handle();
        float[] logits = new float[Math.multiplyExact(states.length, vocabSize())];
        try {
            DeltaNetNative.dn_swig_decode_batch(stream.handle(), handle.get(), handles, tokens, logits);
            return logits;
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(stream);
            Reference.reachabilityFence(states);
        }
    }

    /** Number of token ids the model scores. */
    public int vocabSize() {
        handle.get();
        return vocabSize;
    }

    /** The model family. */
    public Family family() {
        try {
            int[] v = new int[1];
            DeltaNetNative.dn_model_family(handle.get(), v);
            return Family.of(v[0]);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Number of layers. */
    public int numLayers() { return intValue(0); }

    /** Hidden size. */
    public int hiddenSize() { return intValue(1); }

    /** Number of softmax-attention layers (hybrids); 0 for pure (Gated) DeltaNet. */
    public int numAttentionLayers() { return intValue(2); }

    /** config.json's bos_token_id, or -1. */
    public int bosTokenId() { return intValue(3); }

    /** config.json's eos_token_id, or -1. */
    public int eosTokenId() { return intValue(4); }

    /** The dtype most weights are stored in (the checkpoint's). */
    public DType weightDtype() {
        try {
            int[] v = new int[1];
            DeltaNetNative.dn_model_weight_dtype(handle.get(), v);
            return DType.of(v[0]);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Total bytes of weights as stored. */
    public long weightBytes() {
        try {
            long[] v = new long[1];
            DeltaNetNative.dn_model_weight_bytes(handle.get(), v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Number of parameters. */
    public long numParams() {
        try {
            long[] v = new long[1];
            DeltaNetNative.dn_model_num_params(handle.get(), v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Bytes of one state created with default options. */
    public long stateBytes() {
        try {
            long[] v = new long[1];
            DeltaNetNative.dn_model_state_bytes(handle.get(), v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private int intValue(int which) {
        try {
            long h = handle.get();
            int[] v = new int[1];
            int[] unused = new int[1];
            switch (which) {
                case 0: DeltaNetNative.dn_model_num_layers(h, v); break;
                case 1: DeltaNetNative.dn_model_hidden_size(h, v); break;
                case 2: DeltaNetNative.dn_model_num_attention_layers(h, v); break;
                case 3: DeltaNetNative.dn_model_special_tokens(h, v, unused); break;
                default: DeltaNetNative.dn_model_special_tokens(h, unused, v); break;
            }
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Closes the model: further use of it (and running its states) throws IllegalStateException;
     *  states made from it can still be saved, loaded, copied, reset and closed. Closing twice is
     *  harmless. */
    @Override
    public void close() { handle.close(); }
}
