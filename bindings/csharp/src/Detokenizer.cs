using System;
using System.Text;

namespace DeltaNet {

/// <summary>Turns token ids into text one token at a time for streaming, never splitting a UTF-8
/// character: the pieces of a sequence, concatenated, equal <see cref="Tokenizer.Decode(int[], uint)"/>
/// of its ids. Used by one thread at a time. Keeps its tokenizer's memory alive until it is disposed.</summary>
public sealed class Detokenizer : IDisposable {
    private readonly Tokenizer tokenizer; // strong reference: the tokenizer outlives its detokenizers
    private readonly NativeHandle handle;

    /// <summary>A detokenizer for <paramref name="tokenizer"/>; <paramref name="flags"/>:
    /// <see cref="Tokenizer.SkipSpecial"/>.</summary>
    public Detokenizer(Tokenizer tokenizer, uint flags = 0) {
        this.tokenizer = tokenizer;
        IntPtr p;
        DeltaNetNative.dn_detokenizer_create(tokenizer.Handle, flags, out p);
        GC.KeepAlive(tokenizer);
        // The C API wants a detokenizer freed before its tokenizer, whatever order Dispose and the
        // finalizers pick.
        handle = new NativeHandle("detokenizer", p, h => DeltaNetNative.dn_detokenizer_free(h), tokenizer.NativeHandle);
    }

    ~Detokenizer() { if (handle != null) handle.Close(); }

    /// <summary>The tokenizer this detokenizer belongs to.</summary>
    public Tokenizer Tokenizer { get { return tokenizer; } }

    /// <summary>Adds token <paramref name="id"/> and returns the text it completes: possibly empty while a
    /// character is unfinished. On error (a token out of range) nothing is added.</summary>
    public string Push(int id) {
        byte[] text;
        DeltaNetNative.dn_detokenizer_push(handle.Get(), id, out text);
        GC.KeepAlive(this);
        return Encoding.UTF8.GetString(text);
    }

    /// <summary>Ends the sequence: returns what was held back (an unfinished character becomes U+FFFD)
    /// and resets the detokenizer for a new sequence.</summary>
    public string Flush() {
        byte[] text;
        DeltaNetNative.dn_detokenizer_flush(handle.Get(), out text);
        GC.KeepAlive(this);
        return Encoding.UTF8.GetString(text);
    }

    /// <summary>Frees the detokenizer. Disposing twice is harmless; use after Dispose throws
    /// ObjectDisposedException.</summary>
    public void Dispose() {
        handle.Close();
        GC.SuppressFinalize(this);
    }
}

}
