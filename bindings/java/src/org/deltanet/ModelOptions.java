package org.deltanet;

/** Options of {@link Model#load(Stream, String, ModelOptions)}; starts at the library's defaults
 *  (exact precision, weights copied, no progress callback). Setters return this for chaining. */
public final class ModelOptions {
    private Precision precision = Precision.EXACT;
    private WeightMemory weights = WeightMemory.COPY;
    private ProgressCallback progress;

    /** The library's defaults. */
    public ModelOptions() {
        dn_model_options defaults = new dn_model_options();
        DeltaNetNative.dn_model_options_init(defaults);
        precision = Precision.of(defaults.getPrecision());
        weights = WeightMemory.of(defaults.getWeights());
        defaults.delete();
    }

    /** How matrix products round their inputs. */
    public Precision precision() { return precision; }
    public ModelOptions precision(Precision v) { precision = java.util.Objects.requireNonNull(v); return this; }

    /** Where the weights live. */
    public WeightMemory weights() { return weights; }
    public ModelOptions weights(WeightMemory v) { weights = java.util.Objects.requireNonNull(v); return this; }

    /** Called with the bytes processed so far; returning false cancels the load. Null (default): none. */
    public ProgressCallback progress() { return progress; }
    public ModelOptions progress(ProgressCallback v) { progress = v; return this; }

    /** A new native struct holding these options (the caller deletes it). */
    dn_model_options toNative() {
        dn_model_options o = new dn_model_options();
        DeltaNetNative.dn_model_options_init(o);
        o.setPrecision(precision.code);
        o.setWeights(weights.code);
        return o;
    }
}
