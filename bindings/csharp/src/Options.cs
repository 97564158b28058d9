using System;

namespace DeltaNet {

/// <summary>Options of <see cref="Model.Load(Stream, string, ModelOptions)"/>; starts at the library's
/// defaults (exact precision, weights copied, no progress callback).</summary>
public sealed class ModelOptions {
    /// <summary>The library's defaults.</summary>
    public ModelOptions() {
        using (var defaults = new dn_model_options()) {
            DeltaNetNative.dn_model_options_init(defaults);
            Precision = (Precision)defaults.precision;
            Weights = (WeightMemory)defaults.weights;
        }
    }

    /// <summary>How matrix products round their inputs.</summary>
    public Precision Precision { get; set; }

    /// <summary>Where the weights live.</summary>
    public WeightMemory Weights { get; set; }

    /// <summary>Called with the bytes processed so far; returning false cancels the load. Null
    /// (default): none.</summary>
    public ProgressCallback Progress { get; set; }

    /// <summary>A new native struct holding these options (the caller disposes it).</summary>
    internal dn_model_options ToNative() {
        var o = new dn_model_options();
        DeltaNetNative.dn_model_options_init(o);
        o.precision = (int)Precision;
        o.weights = (int)Weights;
        return o;
    }
}

/// <summary>Options of <see cref="Model.NewState(StateOptions)"/>; starts at the library's defaults.</summary>
public sealed class StateOptions {
    /// <summary>The library's defaults.</summary>
    public StateOptions() {
        using (var defaults = new dn_state_options()) {
            DeltaNetNative.dn_state_options_init(defaults);
            MaxContext = defaults.max_context;
        }
    }

    /// <summary>Tokens the key/value cache of a global (unwindowed) attention layer can hold; 0
    /// (default): the config's max_position_embeddings. Ignored by models without such layers. A
    /// forward past it throws <see cref="Status.ContextFull"/>.</summary>
    public long MaxContext { get; set; }

    internal dn_state_options ToNative() {
        var o = new dn_state_options();
        DeltaNetNative.dn_state_options_init(o);
        o.max_context = MaxContext;
        return o;
    }
}

}
