package org.deltanet;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;

/** Turns token ids into text one token at a time for streaming, never splitting a UTF-8 character:
 *  the pieces of a sequence, concatenated, equal {@link Tokenizer#decode(int[], int)} of its ids.
 *  Used by one thread at a time. Keeps its tokenizer's memory alive until it is closed. */
public final class Detokenizer implements AutoCloseable {
    private final Tokenizer tokenizer; // strong reference: the tokenizer outlives its detokenizers
    private final NativeHandle handle;

    /** A detokenizer for {@code tokenizer}, without flags. */
    public Detokenizer(Tokenizer tokenizer) { this(tokenizer, 0); }

    /** A detokenizer for {@code tokenizer}; {@code flags}: {@link Tokenizer#SKIP_SPECIAL}. */
    public Detokenizer(Tokenizer tokenizer, int flags) {
        this.tokenizer = tokenizer;
        long[] out = new long[1];
        try {
            DeltaNetNative.dn_detokenizer_create(tokenizer.handle(), Integer.toUnsignedLong(flags), out);
        } finally {
            Reference.reachabilityFence(tokenizer);
        }
        // The C API wants a detokenizer freed before its tokenizer, whatever order close and GC pick.
        handle = new NativeHandle(this, "detokenizer", out[0], DeltaNetNative::dn_detokenizer_free, tokenizer.handle);
    }

    /** The tokenizer this detokenizer belongs to. */
    public Tokenizer tokenizer() { return tokenizer; }

    /** Adds token {@code id} and returns the text it completes: possibly empty while a character is
     *  unfinished. On error (a token out of range) nothing is added. */
    public String push(int id) {
        try {
            byte[][] text = new byte[1][];
            DeltaNetNative.dn_detokenizer_push(handle.get(), id, text);
            return new String(text[0], StandardCharsets.UTF_8);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Ends the sequence: returns what was held back (an unfinished character becomes U+FFFD) and
     *  resets the detokenizer for a new sequence. */
    public String flush() {
        try {
            byte[][] text = new byte[1][];
            DeltaNetNative.dn_detokenizer_flush(handle.get(), text);
            return new String(text[0], StandardCharsets.UTF_8);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Frees the detokenizer. Closing twice is harmless; use after close throws IllegalStateException. */
    @Override
    public void close() { handle.close(); }
}
