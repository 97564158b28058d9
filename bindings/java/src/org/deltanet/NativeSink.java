package org.deltanet;

/** What the generated glue calls for each piece of generated text (UTF-8 bytes); false stops. */
@FunctionalInterface
interface NativeSink {
    boolean piece(byte[] utf8, int token);
}
