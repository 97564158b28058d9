using System;
using System.Runtime.InteropServices;
using System.Runtime.ExceptionServices;
using System.Text;

namespace DeltaNet {

/// <summary>One sequence's memory for a model; used by one thread at a time. The library keeps what it
/// needs of its model alive, so a state may still be saved, loaded, copied, reset and disposed after
/// its model is disposed; running it needs an undisposed model.</summary>
public sealed class State : IDisposable {
    private readonly Model model;
    private readonly NativeHandle handle;

    /// <summary>An empty state (no tokens seen) for <paramref name="model"/>.</summary>
    public State(Model model) : this(model, (StateOptions)null) { }

    /// <summary>An empty state for <paramref name="model"/> with <paramref name="options"/> (null: the
    /// defaults).</summary>
    public State(Model model, StateOptions options) {
        this.model = model;
        IntPtr p;
        dn_state_options native = options == null ? null : options.ToNative();
        try {
            DeltaNetNative.dn_state_create(model.Handle, native, out p);
        } finally {
            if (native != null) native.Dispose();
            GC.KeepAlive(model);
        }
        handle = new NativeHandle("state", p, h => DeltaNetNative.dn_state_free(h), null);
    }

    private State(Model model, IntPtr p) {
        this.model = model;
        handle = new NativeHandle("state", p, h => DeltaNetNative.dn_state_free(h), null);
    }

    ~State() { if (handle != null) handle.Close(); }

    /// <summary>The model this state belongs to.</summary>
    public Model Model { get { return model; } }

    /// <summary>Feeds <paramref name="tokens"/> into the state (advancing it) and returns the requested
    /// logits: empty for None, VocabSize floats for Last, tokens x VocabSize (row-major) for All. On
    /// error the state is not advanced.</summary>
    public float[] Forward(Stream stream, int[] tokens, LogitsMode mode) {
        int vocab = model.VocabSize;
        int rows = mode == LogitsMode.All ? (tokens == null ? 0 : tokens.Length) : mode == LogitsMode.Last ? 1 : 0;
        float[] logits = new float[checked(rows * vocab)];
        DeltaNetNative.dn_forward(stream.Handle, model.Handle, handle.Get(), tokens, (int)mode,
                                  mode == LogitsMode.None ? null : logits);
        GC.KeepAlive(this);
        GC.KeepAlive(stream);
        return logits;
    }

    /// <summary>As <see cref="Forward(Stream, int[], LogitsMode)"/>, the tokens given as a span (passed
    /// in place, no copy).</summary>
    public unsafe float[] Forward(Stream stream, ReadOnlySpan<int> tokens, LogitsMode mode) {
        int vocab = model.VocabSize;
        int rows = mode == LogitsMode.All ? tokens.Length : mode == LogitsMode.Last ? 1 : 0;
        float[] logits = new float[checked(rows * vocab)];
        fixed (int* t = &MemoryMarshal.GetReference(tokens))
        fixed (float* l = logits) {
            var ts = new DeltaNetNative.Span((IntPtr)t, tokens.Length);
            var ls = new DeltaNetNative.Span((IntPtr)l, mode == LogitsMode.None ? -1 : logits.Length);
            DeltaNetException.Check(DeltaNetNativePINVOKE.dn_forward(stream.Handle, model.Handle, handle.Get(), ref ts,
                                                                     (int)mode, ref ls));
        }
        GC.KeepAlive(this);
        GC.KeepAlive(stream);
        return logits;
    }

    /// <summary>Forgets every token.</summary>
    public void Reset() {
        DeltaNetNative.dn_state_reset(handle.Get());
        GC.KeepAlive(this);
    }

    /// <summary>An independent copy (same model, same tokens seen).</summary>
    public State Copy() {
        IntPtr p;
        DeltaNetNative.dn_state_clone(handle.Get(), out p);
        GC.KeepAlive(this);
        return new State(model, p);
    }

    /// <summary>Number of tokens consumed.</summary>
    public long Position {
        get { long v; DeltaNetNative.dn_state_position(handle.Get(), out v); GC.KeepAlive(this); return v; }
    }

    /// <summary>Serialises the state (a versioned, checksummed blob for the same model and options).</summary>
    public byte[] Save() {
        IntPtr h = handle.Get();
        UIntPtr size, written;
        DeltaNetNative.dn_state_save_size(h, out size);
        byte[] blob = new byte[checked((int)size.ToUInt64())];
        DeltaNetNative.dn_state_save(h, blob, out written);
        GC.KeepAlive(this);
        return blob;
    }

    /// <summary>Replaces the contents with a blob from <see cref="Save"/>; on error the state is unchanged.</summary>
    public void Load(byte[] blob) {
        DeltaNetNative.dn_state_load(handle.Get(), blob);
        GC.KeepAlive(this);
    }

    /// <summary>Encodes <paramref name="prompt"/>, feeds it and generates (see <see cref="GenerateOptions"/>),
    /// streaming the text to <paramref name="callback"/> (may be null). An exception from the callback
    /// is rethrown here.</summary>
    public GenerateResult Generate(Stream stream, Tokenizer tokenizer, string prompt, GenerateOptions options = null,
                                   TextCallback callback = null) {
        return Run(stream, tokenizer, Encoding.UTF8.GetBytes(prompt), null, options, callback);
    }

    /// <summary>As <see cref="Generate(Stream, Tokenizer, string, GenerateOptions, TextCallback)"/>,
    /// with the prompt given as token ids.</summary>
    public GenerateResult Generate(Stream stream, Tokenizer tokenizer, int[] promptIds, GenerateOptions options = null,
                                   TextCallback callback = null) {
        return Run(stream, tokenizer, null, promptIds, options, callback);
    }

    private GenerateResult Run(Stream stream, Tokenizer tokenizer, byte[] prompt, int[] ids, GenerateOptions options,
                               TextCallback callback) {
        GenerateOptions o = options ?? new GenerateOptions();
        Exception error = null;
        DeltaNetNative.PieceCallback sink = null;
        if (callback != null) {
            // Exceptions must not unwind through the C frames: keep the first, stop, rethrow below.
            sink = (text, len, token, user) => {
                try {
                    byte[] bytes = DeltaNetNative.Bytes(text, checked((int)len.ToUInt64()));
                    return callback(Encoding.UTF8.GetString(bytes), token) ? 1 : 0;
                } catch (Exception e) {
                    error = e;
                    return 0;
                }
            };
        }
        using (var result = new dn_generate_result()) {
            try {
                DeltaNetNative.dn_swig_generate(stream.Handle, model.Handle, tokenizer.Handle, handle.Get(), prompt, ids,
                                                o.NativeOptions, o.NativeSampling, o.BiasTokens, o.BiasValues,
                                                o.SamplerHandle, o.StopIds,
                                                o.PackedStopStrings(), sink, result);
            } catch (DeltaNetException) {
                if (error == null) throw;
            } finally {
                GC.KeepAlive(sink);
                GC.KeepAlive(this);
                GC.KeepAlive(stream);
                GC.KeepAlive(tokenizer);
                GC.KeepAlive(o);
            }
            if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
            return new GenerateResult(result);
        }
    }

    internal IntPtr Handle { get { return handle.Get(); } }

    /// <summary>Frees the state. Disposing twice is harmless; use after Dispose throws
    /// ObjectDisposedException.</summary>
    public void Dispose() {
        handle.Close();
        GC.SuppressFinalize(this);
    }
}

}
