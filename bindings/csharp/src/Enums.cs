namespace DeltaNet {

/// <summary>Model families (config.json's model_type).</summary>
public enum Family {
    DeltaNet = DeltaNetNative.DN_FAMILY_DELTANET,
    GatedDeltaNet = DeltaNetNative.DN_FAMILY_GATED_DELTANET
}

/// <summary>Element types of weights (<see cref="Model.WeightDtype"/>).</summary>
public enum DType {
    F32 = DeltaNetNative.DN_DTYPE_F32,
    BF16 = DeltaNetNative.DN_DTYPE_BF16,
    F16 = DeltaNetNative.DN_DTYPE_F16
}

/// <summary>How matrix products round their inputs (<see cref="ModelOptions.Precision"/>).</summary>
public enum Precision {
    /// <summary>Activations stay float32; bfloat16 weights are widened exactly (the default).</summary>
    Exact = DeltaNetNative.DN_PRECISION_EXACT,
    /// <summary>Where weights are bfloat16, prefill matrix products also round activations to bfloat16.</summary>
    Fast = DeltaNetNative.DN_PRECISION_FAST
}

/// <summary>Where a model's weights live (<see cref="ModelOptions.Weights"/>).</summary>
public enum WeightMemory {
    /// <summary>Copied into the model's own memory (the default).</summary>
    Copy = DeltaNetNative.DN_WEIGHTS_COPY,
    /// <summary>CPU only: read in place from the memory-mapped checkpoint (no copy; GPU devices copy
    /// regardless).</summary>
    Mapped = DeltaNetNative.DN_WEIGHTS_MAPPED
}

/// <summary>Which logits <see cref="State.Forward(Stream, int[], LogitsMode)"/> returns.</summary>
public enum LogitsMode {
    /// <summary>None (prefill only): an empty array.</summary>
    None = DeltaNetNative.DN_LOGITS_NONE,
    /// <summary>The last position's: VocabSize floats.</summary>
    Last = DeltaNetNative.DN_LOGITS_LAST,
    /// <summary>Every position's: tokens x VocabSize floats, row-major.</summary>
    All = DeltaNetNative.DN_LOGITS_ALL
}

/// <summary>Why generation stopped.</summary>
public enum StopReason {
    /// <summary>An end-of-sequence token (or a stop id) was generated.</summary>
    Eos = DeltaNetNative.DN_STOP_EOS,
    /// <summary>A stop string appeared in the text.</summary>
    String = DeltaNetNative.DN_STOP_STRING,
    /// <summary>MaxTokens were generated.</summary>
    MaxTokens = DeltaNetNative.DN_STOP_MAX_TOKENS,
    /// <summary>The callback returned false (or threw).</summary>
    Cancelled = DeltaNetNative.DN_STOP_CANCELLED
}

/// <summary>Receives generated text as it streams: the complete characters the token finished
/// (possibly empty) and its id. Return true to go on, false to stop. An exception thrown here cancels
/// generation and is rethrown by the generate call once the library has returned.</summary>
public delegate bool TextCallback(string text, int token);

/// <summary>Told how a model load progresses: <paramref name="done"/> of <paramref name="total"/> bytes of
/// weights processed. Return true to go on, false to cancel the load (it then throws a
/// <see cref="DeltaNetException"/> with <see cref="Status.InvalidArgument"/>). Called on the loading
/// thread; an exception thrown here cancels the load and is rethrown by <see cref="Model.Load(Stream, string, ModelOptions)"/>
/// once the library has returned.</summary>
public delegate bool ProgressCallback(ulong done, ulong total);

}
