package org.deltanet;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Options of a generate call; starts at the library's defaults (256 tokens, greedy, stop at eos).
 *  Setters return this for chaining. */
public final class GenerateOptions {
    private final dn_generate_options nativeOptions = new dn_generate_options();
    private SamplerOptions sampling;
    private Sampler sampler;
    private int[] stopIds;
    private String[] stopStrings;

    /** The library's defaults. */
    public GenerateOptions() { DeltaNetNative.dn_generate_options_init(nativeOptions); }

    /** At most this many new tokens. */
    public int maxTokens() { return nativeOptions.getMax_tokens(); }
    public GenerateOptions maxTokens(int v) { nativeOptions.setMax_tokens(v); return this; }

    /** Sampling options for a sampler made for the call; null (default): greedy. Ignored when a
     *  {@link #sampler(Sampler)} is set. */
    public SamplerOptions sampling() { return sampling; }
    public GenerateOptions sampling(SamplerOptions v) { sampling = v; return this; }

    /** A caller's sampler, which keeps its history and generator across calls; may be null. */
    public Sampler sampler() { return sampler; }
    public GenerateOptions sampler(Sampler v) { sampler = v; return this; }

    /** Whether the tokenizer's eos id ends generation (default true). */
    public boolean stopAtEos() { return nativeOptions.getStop_at_eos() != 0; }
    public GenerateOptions stopAtEos(boolean v) { nativeOptions.setStop_at_eos(v ? 1 : 0); return this; }

    /** More ids that end generation. */
    public int[] stopIds() { return stopIds == null ? null : stopIds.clone(); }
    public GenerateOptions stopIds(int... v) { stopIds = v == null ? null : v.clone(); return this; }

    /** Strings that end generation when they appear in the text (not passed to the callback). */
    public String[] stopStrings() { return stopStrings == null ? null : stopStrings.clone(); }
    public GenerateOptions stopStrings(String... v) { stopStrings = v == null ? null : v.clone(); return this; }

    /** Tokenizer flags for the prompt (Tokenizer.ADD_SPECIAL, PARSE_SPECIAL); default 0. */
    public int encodeFlags() { return (int) nativeOptions.getEncode_flags(); }
    public GenerateOptions encodeFlags(int v) { nativeOptions.setEncode_flags(v); return this; }

    dn_generate_options toNative() { return nativeOptions; }

    dn_sampler_options nativeSampling() { return sampling == null ? null : sampling.nativeOptions; }

    int[] biasTokens() { return sampling == null ? null : sampling.biasTokens(); }

    float[] biasValues() { return sampling == null ? null : sampling.biasValues(); }

    long samplerHandle() { return sampler == null ? 0 : sampler.handle(); }

    /** The stop strings as the glue takes them: UTF-8, each followed by a NUL byte. */
    byte[] packedStopStrings() {
        if (stopStrings == null || stopStrings.length == 0) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : stopStrings) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            for (byte c : b) {
                if (c == 0) throw new IllegalArgumentException("a stop string contains a NUL character");
            }
            out.write(b, 0, b.length);
            out.write(0);
        }
        return out.toByteArray();
    }
}
