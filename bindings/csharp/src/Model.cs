using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace DeltaNet {

/// <summary>Weights and configuration of one model on one device; immutable, usable from any thread.
/// Disposing it (or its finalizer) drops the handle; the library keeps what states made from it need
/// until the last of them is freed.</summary>
public sealed class Model : IDisposable {
    internal readonly NativeHandle NativeHandle;
    private readonly int vocabSize;

    private Model(IntPtr p) {
        NativeHandle = new NativeHandle("model", p, h => DeltaNetNative.dn_model_free(h), null);
        DeltaNetNative.dn_model_vocab_size(p, out vocabSize);
    }

    ~Model() { if (NativeHandle != null) NativeHandle.Close(); }

    /// <summary>Loads the Hugging Face directory <paramref name="path"/> (config.json, *.safetensors)
    /// for the stream's device.</summary>
    public static Model Load(Stream stream, string path) { return Load(stream, path, null); }

    /// <summary>Loads a model with <paramref name="options"/> (null: the defaults). A progress callback
    /// that returns false cancels the load (<see cref="Status.InvalidArgument"/>); one that throws
    /// cancels it too, and its exception is rethrown here once the library has returned.</summary>
    public static Model Load(Stream stream, string path, ModelOptions options) {
        ModelOptions o = options ?? new ModelOptions();
        ProgressCallback callback = o.Progress;
        Exception error = null;
        DeltaNetNative.ProgressCallback progress = null;
        if (callback != null) {
            // Exceptions must not unwind through the C frames: keep it, cancel, rethrow below.
            progress = (done, total, user) => {
                try {
                    return callback(done, total) ? 0 : 1;
                } catch (Exception e) {
                    error = e;
                    return 1;
                }
            };
        }
        IntPtr p = IntPtr.Zero;
        using (dn_model_options native = o.ToNative()) {
            try {
                DeltaNetNative.dn_swig_model_load(stream.Handle, path, native, progress, out p);
            } catch (DeltaNetException) {
                if (error == null) throw;
            } finally {
                GC.KeepAlive(progress);
                GC.KeepAlive(stream);
            }
        }
        if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
        return new Model(p);
    }

    /// <summary>Creates an empty state (no tokens seen) for this model.</summary>
    public State NewState() { return new State(this); }

    /// <summary>Creates an empty state with <paramref name="options"/> (null: the defaults).</summary>
    public State NewState(StateOptions options) { return new State(this, options); }

    /// <summary>Batched decode: feeds <c>tokens[i]</c> into <c>states[i]</c> (distinct states of this
    /// model) in one pass that reads the weights once, and returns the logits, states.Count x VocabSize
    /// floats row-major (row i is states[i]'s). Equal to separate one-token
    /// <see cref="State.Forward(Stream, int[], LogitsMode)"/> calls. On error no state is advanced.</summary>
    public float[] DecodeBatch(Stream stream, IReadOnlyList<State> states, int[] tokens) {
        if (tokens == null) throw new DeltaNetException(Status.NullArgument, "DecodeBatch: tokens must not be null");
        return DecodeBatch(stream, states, new ReadOnlySpan<int>(tokens));
    }

    /// <summary>As <see cref="DecodeBatch(Stream, IReadOnlyList{State}, int[])"/>, the tokens given as a span.</summary>
    public unsafe float[] DecodeBatch(Stream stream, IReadOnlyList<State> states, ReadOnlySpan<int> tokens) {
        if (states == null) throw new DeltaNetException(Status.NullArgument, "DecodeBatch: states must not be null");
        if (states.Count != tokens.Length) {
            throw new DeltaNetException(Status.InvalidArgument,
                                        "DecodeBatch: " + states.Count + " states but " + tokens.Length + " tokens");
        }
        var handles = new long[states.Count];
        for (int i = 0; i < handles.Length; ++i) handles[i] = states[i] == null ? 0 : states[i].Handle.ToInt64();
        float[] logits = new float[checked(handles.Length * VocabSize)];
        fixed (long* h = handles)
        fixed (int* t = &MemoryMarshal.GetReference(tokens))
        fixed (float* l = logits) {
            var hs = new DeltaNetNative.Span((IntPtr)h, handles.Length);
            var ts = new DeltaNetNative.Span((IntPtr)t, tokens.Length);
            var ls = new DeltaNetNative.Span((IntPtr)l, logits.Length);
            DeltaNetException.Check(DeltaNetNativePINVOKE.dn_swig_decode_batch(stream.Handle, Handle, ref hs, ref ts, ref ls));
        }
        GC.KeepAlive(this);
        GC.KeepAlive(stream);
        GC.KeepAlive(states);
        return logits;
    }

    /// <summary>Number of token ids the model scores.</summary>
    public int VocabSize { get { NativeHandle.Get(); return vocabSize; } }

    /// <summary>The model family.</summary>
    public Family Family { get { int v; DeltaNetNative.dn_model_family(Handle, out v); GC.KeepAlive(this); return (Family)v; } }

    /// <summary>Number of layers.</summary>
    public int NumLayers { get { int v; DeltaNetNative.dn_model_num_layers(Handle, out v); GC.KeepAlive(this); return v; } }

    /// <summary>Hidden size.</summary>
    public int HiddenSize { get { int v; DeltaNetNative.dn_model_hidden_size(Handle, out v); GC.KeepAlive(this); return v; } }

    /// <summary>Number of softmax-attention layers (hybrids); 0 for pure (Gated) DeltaNet.</summary>
    public int NumAttentionLayers {
        get { int v; DeltaNetNative.dn_model_num_attention_layers(Handle, out v); GC.KeepAlive(this); return v; }
    }

    /// <summary>config.json's bos_token_id, or -1.</summary>
    public int BosTokenId { get { int b, e; DeltaNetNative.dn_model_special_tokens(Handle, out b, out e); GC.KeepAlive(this); return b; } }

    /// <summary>config.json's eos_token_id, or -1.</summary>
    public int EosTokenId { get { int b, e; DeltaNetNative.dn_model_special_tokens(Handle, out b, out e); GC.KeepAlive(this); return e; } }

    /// <summary>The dtype most weights are stored in (the checkpoint's).</summary>
    public DType WeightDtype { get { int v; DeltaNetNative.dn_model_weight_dtype(Handle, out v); GC.KeepAlive(this); return (DType)v; } }

    /// <summary>Total bytes of weights as stored.</summary>
    public ulong WeightBytes { get { ulong v; DeltaNetNative.dn_model_weight_bytes(Handle, out v); GC.KeepAlive(this); return v; } }

    /// <summary>Number of parameters.</summary>
    public ulong NumParams { get { ulong v; DeltaNetNative.dn_model_num_params(Handle, out v); GC.KeepAlive(this); return v; } }

    /// <summary>Bytes of one state created with default options.</summary>
    public ulong StateBytes { get { ulong v; DeltaNetNative.dn_model_state_bytes(Handle, out v); GC.KeepAlive(this); return v; } }

    internal IntPtr Handle { get { return NativeHandle.Get(); } }

    /// <summary>Disposes the model: further use of it (and running its states) throws
    /// ObjectDisposedException; states made from it can still be saved, loaded, copied, reset and
    /// disposed. Disposing twice is harmless.</summary>
    public void Dispose() {
        NativeHandle.Close();
        GC.SuppressFinalize(this);
    }
}

}
