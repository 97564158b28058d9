package org.deltanet;

/** Options of {@link Model#newState(StateOptions)}; starts at the library's defaults. Setters return
 *  this for chaining. */
public final class StateOptions {
    private long maxContext;

    /** The library's defaults. */
    public StateOptions() {
        dn_state_options defaults = new dn_state_options();
        DeltaNetNative.dn_state_options_init(defaults);
        maxContext = defaults.getMax_context();
        defaults.delete();
    }

    /** Tokens the key/value cache of a global (unwindowed) attention layer can hold; 0 (default):
     *  the config's max_position_embeddings. Ignored by models without such layers. A forward past
     *  it throws {@link Status#CONTEXT_FULL}. */
    public long maxContext() { return maxContext; }
    public StateOptions maxContext(long v) { maxContext = v; return this; }

    dn_state_options toNative() {
        dn_state_options o = new dn_state_options();
        DeltaNetNative.dn_state_options_init(o);
        o.setMax_context(maxContext);
        return o;
    }
}
