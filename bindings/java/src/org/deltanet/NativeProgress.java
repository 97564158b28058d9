package org.deltanet;

/** What the generated glue calls while a model loads; false cancels. */
@FunctionalInterface
interface NativeProgress {
    boolean progress(long done, long total);
}
