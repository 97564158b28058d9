package org.deltanet;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the next token is chosen; starts at the library's defaults (temperature 0.8, top-k 40,
 *  top-p 0.95, min-p 0.05, no penalties, seed 0). Setters return this for chaining. */
public final class SamplerOptions {
    final dn_sampler_options nativeOptions = new dn_sampler_options();
    private final Map<Integer, Float> logitBias = new LinkedHashMap<>();

    /** The library's defaults. */
    public SamplerOptions() { DeltaNetNative.dn_sampler_options_init(nativeOptions); }

    /** 0: greedy (argmax, ties to the lowest id). */
    public float temperature() { return nativeOptions.getTemperature(); }
    public SamplerOptions temperature(float v) { nativeOptions.setTemperature(v); return this; }

    /** Keep the k most likely; 0 = off. */
    public int topK() { return nativeOptions.getTop_k(); }
    public SamplerOptions topK(int v) { nativeOptions.setTop_k(v); return this; }

    /** Keep the smallest set with probability >= p; 1 = off. */
    public float topP() { return nativeOptions.getTop_p(); }
    public SamplerOptions topP(float v) { nativeOptions.setTop_p(v); return this; }

    /** Drop tokens below minP x the top probability; 0 = off. */
    public float minP() { return nativeOptions.getMin_p(); }
    public SamplerOptions minP(float v) { nativeOptions.setMin_p(v); return this; }

    /** CTRL-style repetition penalty; 1 = off. */
    public float repetitionPenalty() { return nativeOptions.getRepetition_penalty(); }
    public SamplerOptions repetitionPenalty(float v) { nativeOptions.setRepetition_penalty(v); return this; }

    /** Subtracted once from a seen token's logit; 0 = off. */
    public float presencePenalty() { return nativeOptions.getPresence_penalty(); }
    public SamplerOptions presencePenalty(float v) { nativeOptions.setPresence_penalty(v); return this; }

    /** Subtracted per occurrence; 0 = off. */
    public float frequencyPenalty() { return nativeOptions.getFrequency_penalty(); }
    public SamplerOptions frequencyPenalty(float v) { nativeOptions.setFrequency_penalty(v); return this; }

    /** How many recent tokens the penalties look at; -1 = all. */
    public int penaltyLastN() { return nativeOptions.getPenalty_last_n(); }
    public SamplerOptions penaltyLastN(int v) { nativeOptions.setPenalty_last_n(v); return this; }

    /** The generator's seed (an unsigned 64-bit value). */
    public long seed() { return nativeOptions.getSeed(); }
    public SamplerOptions seed(long v) { nativeOptions.setSeed(v); return this; }

    /** Adds {@code bias} to token {@code token}'s logit before anything else (replacing an earlier
     *  bias of that token); {@code Float.NEGATIVE_INFINITY} bans it. A token outside the vocabulary
     *  or a NaN bias makes the sampler's creation fail with {@link Status#INVALID_ARGUMENT}. */
    public SamplerOptions logitBias(int token, float bias) { logitBias.put(token, bias); return this; }

    /** Sets every bias of {@code biases} (token id to bias), as {@link #logitBias(int, float)}. */
    public SamplerOptions logitBias(Map<Integer, Float> biases) { logitBias.putAll(biases); return this; }

    /** The logit biases (token id to bias), read-only. */
    public Map<Integer, Float> logitBias() { return Collections.unmodifiableMap(logitBias); }

    /** Removes every logit bias. */
    public SamplerOptions clearLogitBias() { logitBias.clear(); return this; }

    int[] biasTokens() {
        int[] v = new int[logitBias.size()];
        int i = 0;
        for (int token : logitBias.keySet()) v[i++] = token;
        return v;
    }

    float[] biasValues() {
        float[] v = new float[logitBias.size()];
        int i = 0;
        for (float bias : logitBias.values()) v[i++] = bias;
        return v;
    }
}
