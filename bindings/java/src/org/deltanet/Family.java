package org.deltanet;

/** Model families (config.json's model_type). */
public enum Family {
    DELTANET, GATED_DELTANET;

    static Family of(int code) {
        return code == dn_family.DN_FAMILY_GATED_DELTANET ? GATED_DELTANET : DELTANET;
    }
}
