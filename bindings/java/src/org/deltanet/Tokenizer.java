package org.deltanet;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A Hugging Face tokenizer.json; immutable, usable from any thread. */
public final class Tokenizer implements AutoCloseable {
    /** encode flag: add what the tokenizer's template adds (e.g. a bos token). */
    public static final int ADD_SPECIAL = DeltaNetNativeConstants.DN_ENCODE_ADD_SPECIAL;
    /** encode flag: match special tokens written in the text. */
    public static final int PARSE_SPECIAL = DeltaNetNativeConstants.DN_ENCODE_PARSE_SPECIAL;
    /** decode flag: leave out special tokens. */
    public static final int SKIP_SPECIAL = DeltaNetNativeConstants.DN_DECODE_SKIP_SPECIAL;

    final NativeHandle handle;

    private Tokenizer(long ptr) {
        handle = new NativeHandle(this, "tokenizer", ptr, DeltaNetNative::dn_tokenizer_free, null);
    }

    /** Loads a model directory's tokenizer.json (and tokenizer_config.json), or a tokenizer.json file. */
    public static Tokenizer load(String path) {
        long[] out = new long[1];
        DeltaNetNative.dn_tokenizer_load(path, out);
        return new Tokenizer(out[0]);
    }

    /** The token ids of {@code text}, without flags. */
    public int[] encode(String text) { return encode(text, 0); }

    /** The token ids of {@code text}; {@code flags}: ADD_SPECIAL, PARSE_SPECIAL. */
    public int[] encode(String text, int flags) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try {
            long h = handle.get();
            long[] count = new long[1];
            int[] ids = new int[utf8.length + 8];
            try {
                DeltaNetNative.dn_tokenizer_encode(h, utf8, flags, ids, count);
            } catch (DeltaNetException e) {
                if (e.status() != Status.BUFFER_TOO_SMALL) throw e;
                ids = new int[Math.toIntExact(count[0])];
                DeltaNetNative.dn_tokenizer_encode(h, utf8, flags, ids, count);
            }
            return Arrays.copyOf(ids, Math.toIntExact(count[0]));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The text of {@code ids}, without flags. */
    public String decode(int[] ids) { return decode(ids, 0); }

    /** The text of {@code ids}; {@code flags}: SKIP_SPECIAL. */
    public String decode(int[] ids, int flags) {
        try {
            long h = handle.get();
            long[] len = new long[1];
            byte[] text = new byte[ids.length * 16 + 16];
            try {
                DeltaNetNative.dn_tokenizer_decode(h, ids, flags, text, len);
            } catch (DeltaNetException e) {
                if (e.status() != Status.BUFFER_TOO_SMALL) throw e;
                text = new byte[Math.toIntExact(len[0])];
                DeltaNetNative.dn_tokenizer_decode(h, ids, flags, text, len);
            }
            return new String(text, 0, Math.toIntExact(len[0]), StandardCharsets.UTF_8);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Number of token ids (one more than the largest). */
    public int vocabSize() {
        try {
            int[] v = new int[1];
            DeltaNetNative.dn_tokenizer_vocab_size(handle.get(), v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The vocabulary string of token {@code id} as written in tokenizer.json. */
    public String tokenText(int id) {
        try {
            String[] out = new String[1];
            DeltaNetNative.dn_tokenizer_token_text(handle.get(), id, out);
            return out[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The id of the vocabulary string {@code text}, or -1. */
    public int tokenId(String text) {
        try {
            int[] v = new int[1];
            DeltaNetNative.dn_tokenizer_token_id(handle.get(), text, v);
            return v[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Whether token {@code id} is special (an added token marked special, such as bos/eos). */
    public boolean isSpecial(int id) {
        try {
            int[] v = new int[1];
            DeltaNetNative.dn_tokenizer_is_special(handle.get(), id, v);
            return v[0] != 0;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A streaming detokenizer for this tokenizer; {@code flags}: SKIP_SPECIAL. */
    public Detokenizer newDetokenizer(int flags) { return new Detokenizer(this, flags); }

    /** The beginning-of-sequence id, or -1. */
    public int bosTokenId() {
        try {
            int[] bos = new int[1], eos = new int[1];
            DeltaNetNative.dn_tokenizer_bos_eos(handle.get(), bos, eos);
            return bos[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The end-of-sequence id, or -1. */
    public int eosTokenId() {
        try {
            int[] bos = new int[1], eos = new int[1];
            DeltaNetNative.dn_tokenizer_bos_eos(handle.get(), bos, eos);
            return eos[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    long handle() { return handle.get(); }

    /** Closes the tokenizer: further use throws IllegalStateException; its memory goes once its
     *  detokenizers are closed too. Closing twice is harmless. */
    @Override
    public void close() { handle.close(); }
}
