using System;
using System.IO;
using System.Text;

namespace DeltaNet {

/// <summary>Options of a generate call; starts at the library's defaults (256 tokens, greedy, stop at eos).</summary>
public sealed class GenerateOptions {
    internal readonly dn_generate_options NativeOptions = new dn_generate_options();

    /// <summary>The library's defaults.</summary>
    public GenerateOptions() { DeltaNetNative.dn_generate_options_init(NativeOptions); }

    /// <summary>At most this many new tokens.</summary>
    public int MaxTokens { get { return NativeOptions.max_tokens; } set { NativeOptions.max_tokens = value; } }

    /// <summary>Sampling options for a sampler made for the call; null (default): greedy. Ignored when
    /// <see cref="Sampler"/> is set.</summary>
    public SamplerOptions Sampling { get; set; }

    /// <summary>A caller's sampler, which keeps its history and generator across calls; may be null.</summary>
    public Sampler Sampler { get; set; }

    /// <summary>Whether the tokenizer's eos id ends generation (default true).</summary>
    public bool StopAtEos { get { return NativeOptions.stop_at_eos != 0; } set { NativeOptions.stop_at_eos = value ? 1 : 0; } }

    /// <summary>More ids that end generation.</summary>
    public int[] StopIds { get; set; }

    /// <summary>Strings that end generation when they appear in the text (not passed to the callback).</summary>
    public string[] StopStrings { get; set; }

    /// <summary>Tokenizer flags for the prompt (Tokenizer.AddSpecial, ParseSpecial); default 0.</summary>
    public uint EncodeFlags { get { return NativeOptions.encode_flags; } set { NativeOptions.encode_flags = value; } }

    internal dn_sampler_options NativeSampling { get { return Sampling == null ? null : Sampling.Native; } }

    internal int[] BiasTokens { get { return Sampling == null ? null : Sampling.BiasTokens(); } }

    internal float[] BiasValues { get { return Sampling == null ? null : Sampling.BiasValues(); } }

    internal IntPtr SamplerHandle { get { return Sampler == null ? IntPtr.Zero : Sampler.Handle; } }

    /// <summary>The stop strings as the glue takes them: UTF-8, each followed by a NUL byte.</summary>
    internal byte[] PackedStopStrings() {
        if (StopStrings == null || StopStrings.Length == 0) return null;
        var packed = new MemoryStream();
        foreach (string s in StopStrings) {
            if (s.IndexOf('\0') >= 0) throw new ArgumentException("a stop string contains a NUL character");
            byte[] b = Encoding.UTF8.GetBytes(s);
            packed.Write(b, 0, b.Length);
            packed.WriteByte(0);
        }
        return packed.ToArray();
    }
}

/// <summary>What a generate call did.</summary>
public sealed class GenerateResult {
    internal GenerateResult(dn_generate_result r) {
        PromptTokens = r.prompt_tokens;
        GeneratedTokens = r.generated_tokens;
        StopReason = (StopReason)r.stop_reason;
        PrefillSeconds = r.prefill_seconds;
        GenerateSeconds = r.generate_seconds;
    }

    /// <summary>Tokens the prompt encoded to.</summary>
    public long PromptTokens { get; private set; }
    /// <summary>Tokens generated (including an eos or stop id).</summary>
    public long GeneratedTokens { get; private set; }
    /// <summary>Why generation stopped.</summary>
    public StopReason StopReason { get; private set; }
    /// <summary>Seconds spent encoding and prefilling the prompt.</summary>
    public double PrefillSeconds { get; private set; }
    /// <summary>Seconds spent in the generation loop.</summary>
    public double GenerateSeconds { get; private set; }
}

}
