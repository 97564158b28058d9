package org.deltanet;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;

/** One sequence's memory for a model; used by one thread at a time. The library keeps what it needs
 *  of its model alive, so a state may still be saved, loaded, copied, reset and closed after its
 *  model is closed; running it needs an open model. */
public final class State implements AutoCloseable {
    private final Model model;
    private final NativeHandle handle;

    /** An empty state (no tokens seen) for {@code model}. */
    public State(Model model) { this(model, (StateOptions) null); }

    /** An empty state for {@code model} with {@code options} (null: the defaults). */
    public State(Model model, StateOptions options) {
        this.model = model;
        dn_state_options nativeOptions = options == null ? null : options.toNative();
        long[] out = new long[1];
        try {
            DeltaNetNative.dn_state_create(model.handle.get(), nativeOptions, out);
        } finally {
            if (nativeOptions != null) nativeOptions.delete();
            Reference.reachabilityFence(model);
        }
        handle = new NativeHandle(this, "state", out[0], DeltaNetNative::dn_state_free, null);
    }

    private State(Model model, long ptr) {
        this.model = model;
        handle = new NativeHandle(this, "state", ptr, DeltaNetNative::dn_state_free, null);
    }

    /** The model this state belongs to. */
    public Model model() { return model; }

    /**
     * Feeds {@code tokens} into the state (advancing it) and returns the requested logits: empty for
     * NONE, vocabSize floats for LAST, tokens.length x vocabSize (row-major) for ALL. On error the
     * state is not advanced.
     */
    public float[] forward(Stream stream, int[] tokens, LogitsMode mode) {
        int vocab = model.vocabSize();
        int rows = mode == LogitsMode.ALL ? (tokens == null ? 0 : tokens.length) : mode == LogitsMode.LAST ? 1 : 0;
        float[] logits = new float[Math.multiplyExact(rows, vocab)];
        try {
            DeltaNetNative.dn_forward(stream.handle(), model.handle.get(), handle.get(), tokens, mode.code,
                                      mode == LogitsMode.NONE ? null : logits);
            return logits;
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(stream);
        }
    }

    /** Forgets every token. */
    public void reset() {
        try {
            DeltaNetNative.dn_state_reset(handle.get());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** An independent copy (same model, same tokens seen). */
    public State copy() {
        long[] out = new long[1];
        try {
            DeltaNetNative.dn_state_clone(handle.get(), out);
        } finally {
            Reference.reachabilityFence(this);
        }
        return new State(model, out[0]);
    }

    /** Number of tokens consumed. */
    public long position() {
        try {
            long[] v = new long[1];
            DeltaNetNative.dn_state_position(handle.get(), v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Serialises the state (a versioned, checksummed blob for the same model and options). */
    public byte[] save() {
        try {
            long h = handle.get();
            long[] size = new long[1];
            DeltaNetNative.dn_state_save_size(h, size);
            byte[] blob = new byte[Math.toIntExact(size[0])];
            DeltaNetNative.dn_state_save(h, blob, size);
            return blob;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Replaces the contents with a blob from {@link #save()}; on error the state is unchanged. */
    public void load(byte[] blob) {
        try {
            DeltaNetNative.dn_state_load(handle.get(), blob);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Encodes {@code prompt}, feeds it and generates (see {@link GenerateOptions}), streaming the
     *  text to {@code callback} (may be null). An exception from the callback is rethrown here. */
    public GenerateResult generate(Stream stream, Tokenizer tokenizer, String prompt, GenerateOptions options,
                                   TextCallback callback) {
        return run(stream, tokenizer, prompt.getBytes(StandardCharsets.UTF_8), null, options, callback);
    }

    /** As {@link #generate(Stream, Tokenizer, String, GenerateOptions, TextCallback)}, with the
     *  prompt given as token ids. */
    public GenerateResult generate(Stream stream, Tokenizer tokenizer, int[] promptIds, GenerateOptions options,
                                   TextCallback callback) {
        return run(stream, tokenizer, null, promptIds, options, callback);
    }

    private GenerateResult run(Stream stream, Tokenizer tokenizer, byte[] prompt, int[] ids, GenerateOptions options,
                               TextCallback callback) {
        GenerateOptions o = options != null ? options : new GenerateOptions();
        NativeSink sink = callback == null ? null
                : (bytes, token) -> callback.onText(new String(bytes, StandardCharsets.UTF_8), token);
        dn_generate_result result = new dn_generate_result();
        try {
            DeltaNetNative.dn_swig_generate(stream.handle(), model.handle.get(), tokenizer.handle(), handle.get(),
                                            prompt, ids, o.toNative(), o.nativeSampling(), o.biasTokens(),
                                            o.biasValues(), o.samplerHandle(),
                                            o.stopIds(), o.packedStopStrings(), sink, result);
            return new GenerateResult(result);
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(stream);
            Reference.reachabilityFence(tokenizer);
            Reference.reachabilityFence(o);
        }
    }

    long handle() { return handle.get(); }

    /** Frees the state. Closing twice is harmless; use after close throws IllegalStateException. */
    @Override
    public void close() { handle.close(); }
}
