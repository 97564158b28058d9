package org.deltanet;

/** Told how a model load progresses ({@link ModelOptions#progress(ProgressCallback)}). Called on the
 *  thread that loads. An exception thrown here cancels the load and is rethrown by
 *  {@link Model#load(Stream, String, ModelOptions)} once the library has returned. */
@FunctionalInterface
public interface ProgressCallback {
    /** {@code done} of {@code total} bytes of weights processed. Return true to go on, false to
     *  cancel the load (it then throws a {@link DeltaNetException} with {@link Status#INVALID_ARGUMENT}). */
    boolean onProgress(long done, long total);
}
