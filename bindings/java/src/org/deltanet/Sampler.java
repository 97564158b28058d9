package org.deltanet;

import java.lang.ref.Reference;

/** Picks tokens from logits with a seeded generator; used by one thread at a time. */
public final class Sampler implements AutoCloseable {
    private final NativeHandle handle;

    /** A sampler for a vocabulary of {@code vocabSize} ids (options null: the defaults). */
    public Sampler(SamplerOptions options, int vocabSize) {
        SamplerOptions o = options != null ? options : new SamplerOptions();
        long[] out = new long[1];
        DeltaNetNative.dn_swig_sampler_create(o.nativeOptions, o.biasTokens(), o.biasValues(), vocabSize, out);
        handle = new NativeHandle(this, "sampler", out[0], DeltaNetNative::dn_sampler_free, null);
    }

    /** Chooses a token from {@code logits} (vocabSize floats); does not accept it. */
    public int sample(float[] logits) {
        try {
            int[] token = new int[1];
            DeltaNetNative.dn_sampler_sample(handle.get(), logits, token);
            return token[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Records tokens as seen, for the penalties. */
    public void accept(int... tokens) {
        try {
            DeltaNetNative.dn_sampler_accept(handle.get(), tokens);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Forgets the accepted tokens and restarts the generator from {@code seed}. */
    public void reset(long seed) {
        try {
            DeltaNetNative.dn_sampler_reset(handle.get(), seed);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    long handle() { return handle.get(); }

    /** Frees the sampler. Closing twice is harmless; use after close throws IllegalStateException. */
    @Override
    public void close() { handle.close(); }
}
