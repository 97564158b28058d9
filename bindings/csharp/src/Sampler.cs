using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace DeltaNet {

/// <summary>How the next token is chosen; starts at the library's defaults (temperature 0.8, top-k 40,
/// top-p 0.95, min-p 0.05, no penalties, seed 0).</summary>
public sealed class SamplerOptions {
    internal readonly dn_sampler_options Native = new dn_sampler_options();
    private readonly Dictionary<int, float> logitBias = new Dictionary<int, float>();

    /// <summary>The library's defaults.</summary>
    public SamplerOptions() { DeltaNetNative.dn_sampler_options_init(Native); }

    /// <summary>0: greedy (argmax, ties to the lowest id).</summary>
    public float Temperature { get { return Native.temperature; } set { Native.temperature = value; } }
    /// <summary>Keep the k most likely; 0 = off.</summary>
    public int TopK { get { return Native.top_k; } set { Native.top_k = value; } }
    /// <summary>Keep the smallest set with probability &gt;= p; 1 = off.</summary>
    public float TopP { get { return Native.top_p; } set { Native.top_p = value; } }
    /// <summary>Drop tokens below MinP x the top probability; 0 = off.</summary>
    public float MinP { get { return Native.min_p; } set { Native.min_p = value; } }
    /// <summary>CTRL-style repetition penalty; 1 = off.</summary>
    public float RepetitionPenalty { get { return Native.repetition_penalty; } set { Native.repetition_penalty = value; } }
    /// <summary>Subtracted once from a seen token's logit; 0 = off.</summary>
    public float PresencePenalty { get { return Native.presence_penalty; } set { Native.presence_penalty = value; } }
    /// <summary>Subtracted per occurrence; 0 = off.</summary>
    public float FrequencyPenalty { get { return Native.frequency_penalty; } set { Native.frequency_penalty = value; } }
    /// <summary>How many recent tokens the penalties look at; -1 = all.</summary>
    public int PenaltyLastN { get { return Native.penalty_last_n; } set { Native.penalty_last_n = value; } }
    /// <summary>The generator's seed.</summary>
    public ulong Seed { get { return Native.seed; } set { Native.seed = value; } }

    /// <summary>Fixed biases added to tokens' logits before anything else (token id to bias;
    /// float.NegativeInfinity bans a token): <c>new SamplerOptions { LogitBias = { [42] = 100f } }</c>.
    /// A token outside the vocabulary or a NaN bias makes the sampler's creation fail with
    /// <see cref="Status.InvalidArgument"/>.</summary>
    public IDictionary<int, float> LogitBias { get { return logitBias; } }

    internal int[] BiasTokens() {
        var v = new int[logitBias.Count];
        logitBias.Keys.CopyTo(v, 0);
        return v;
    }

    internal float[] BiasValues() {
        var v = new float[logitBias.Count];
        int i = 0;
        foreach (int token in BiasTokens()) v[i++] = logitBias[token];
        return v;
    }
}

/// <summary>Picks tokens from logits with a seeded generator; used by one thread at a time.</summary>
public sealed class Sampler : IDisposable {
    private readonly NativeHandle handle;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabSize"/> ids (options null: the defaults).</summary>
    public Sampler(SamplerOptions options, int vocabSize) {
        SamplerOptions o = options ?? new SamplerOptions();
        IntPtr p;
        DeltaNetNative.dn_swig_sampler_create(o.Native, o.BiasTokens(), o.BiasValues(), vocabSize, out p);
        handle = new NativeHandle("sampler", p, h => DeltaNetNative.dn_sampler_free(h), null);
    }

    ~Sampler() { if (handle != null) handle.Close(); }

    /// <summary>Chooses a token from <paramref name="logits"/> (VocabSize floats); does not accept it.</summary>
    public int Sample(float[] logits) {
        int token;
        DeltaNetNative.dn_sampler_sample(handle.Get(), logits, out token);
        GC.KeepAlive(this);
        return token;
    }

    /// <summary>As <see cref="Sample(float[])"/>, the logits given as a span (passed in place, no copy).</summary>
    public unsafe int Sample(ReadOnlySpan<float> logits) {
        int token;
        fixed (float* l = &MemoryMarshal.GetReference(logits)) {
            var ls = new DeltaNetNative.Span((IntPtr)l, logits.Length);
            DeltaNetException.Check(DeltaNetNativePINVOKE.dn_sampler_sample(handle.Get(), ref ls, out token));
        }
        GC.KeepAlive(this);
        return token;
    }

    /// <summary>Records tokens as seen, for the penalties.</summary>
    public void Accept(params int[] tokens) {
        DeltaNetNative.dn_sampler_accept(handle.Get(), tokens);
        GC.KeepAlive(this);
    }

    /// <summary>Forgets the accepted tokens and restarts the generator from <paramref name="seed"/>.</summary>
    public void Reset(ulong seed) {
        DeltaNetNative.dn_sampler_reset(handle.Get(), seed);
        GC.KeepAlive(this);
    }

    internal IntPtr Handle { get { return handle.Get(); } }

    /// <summary>Frees the sampler. Disposing twice is harmless; use after Dispose throws
    /// ObjectDisposedException.</summary>
    public void Dispose() {
        handle.Close();
        GC.SuppressFinalize(this);
    }
}

}
