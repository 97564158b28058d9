package org.deltanet;

/** Receives generated text as it streams. An exception thrown here cancels generation and is
 *  rethrown by the generate call once the library has returned. */
@FunctionalInterface
public interface TextCallback {
    /** {@code text}: the complete characters the token finished (possibly empty); {@code token}: its
     *  id. Return true to go on, false to stop (the result's stop reason is then CANCELLED). */
    boolean onText(String text, int token);
}
