package org.deltanet;

/** Element types of weights ({@link Model#weightDtype()}). */
public enum DType {
    F32, BF16, F16;

    static DType of(int code) {
        switch (code) {
            case dn_dtype.DN_DTYPE_BF16: return BF16;
            case dn_dtype.DN_DTYPE_F16: return F16;
            default: return F32;
        }
    }
}
