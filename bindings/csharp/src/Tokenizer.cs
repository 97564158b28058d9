using System;
using System.Runtime.InteropServices;
using System.Text;

namespace DeltaNet {

/// <summary>A Hugging Face tokenizer.json; immutable, usable from any thread.</summary>
public sealed class Tokenizer : IDisposable {
    /// <summary>Encode flag: add what the tokenizer's template adds (e.g. a bos token).</summary>
    public const uint AddSpecial = DeltaNetNative.DN_ENCODE_ADD_SPECIAL;
    /// <summary>Encode flag: match special tokens written in the text.</summary>
    public const uint ParseSpecial = DeltaNetNative.DN_ENCODE_PARSE_SPECIAL;
    /// <summary>Decode flag: leave out special tokens.</summary>
    public const uint SkipSpecial = DeltaNetNative.DN_DECODE_SKIP_SPECIAL;

    private readonly NativeHandle handle;

    private Tokenizer(IntPtr p) {
        handle = new NativeHandle("tokenizer", p, h => DeltaNetNative.dn_tokenizer_free(h), null);
    }

    ~Tokenizer() { if (handle != null) handle.Close(); }

    /// <summary>Loads a model directory's tokenizer.json (and tokenizer_config.json), or a tokenizer.json file.</summary>
    public static Tokenizer Load(string path) {
        IntPtr p;
        DeltaNetNative.dn_tokenizer_load(path, out p);
        return new Tokenizer(p);
    }

    /// <summary>The token ids of <paramref name="text"/>; <paramref name="flags"/>: AddSpecial, ParseSpecial.</summary>
    public int[] Encode(string text, uint flags = 0) {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        IntPtr h = handle.Get();
        UIntPtr count = UIntPtr.Zero;
        int[] ids = new int[utf8.Length + 8];
        try {
            DeltaNetNative.dn_tokenizer_encode(h, utf8, flags, ids, out count);
        } catch (DeltaNetException e) {
            if (e.Status != Status.BufferTooSmall) throw;
            ids = new int[checked((int)count.ToUInt64())];
            DeltaNetNative.dn_tokenizer_encode(h, utf8, flags, ids, out count);
        }
        GC.KeepAlive(this);
        Array.Resize(ref ids, checked((int)count.ToUInt64()));
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>; <paramref name="flags"/>: SkipSpecial.</summary>
    public string Decode(int[] ids, uint flags = 0) {
        IntPtr h = handle.Get();
        UIntPtr len = UIntPtr.Zero;
        byte[] text = new byte[ids.Length * 16 + 16];
        try {
            DeltaNetNative.dn_tokenizer_decode(h, ids, flags, text, out len);
        } catch (DeltaNetException e) {
            if (e.Status != Status.BufferTooSmall) throw;
            text = new byte[checked((int)len.ToUInt64())];
            DeltaNetNative.dn_tokenizer_decode(h, ids, flags, text, out len);
        }
        GC.KeepAlive(this);
        return Encoding.UTF8.GetString(text, 0, checked((int)len.ToUInt64()));
    }

    /// <summary>Number of token ids (one more than the largest).</summary>
    public int VocabSize { get { int v; DeltaNetNative.dn_tokenizer_vocab_size(handle.Get(), out v); GC.KeepAlive(this); return v; } }

    /// <summary>The vocabulary string of token <paramref name="id"/> as written in tokenizer.json.</summary>
    public string TokenText(int id) {
        string text;
        DeltaNetNative.dn_tokenizer_token_text(handle.Get(), id, out text);
        GC.KeepAlive(this);
        return text;
    }

    /// <summary>The id of the vocabulary string <paramref name="text"/>, or -1.</summary>
    public int TokenId(string text) {
        int id;
        DeltaNetNative.dn_tokenizer_token_id(handle.Get(), text, out id);
        GC.KeepAlive(this);
        return id;
    }

    /// <summary>As <see cref="Decode(int[], uint)"/>, the ids given as a span (passed in place, no copy).</summary>
    public unsafe string Decode(ReadOnlySpan<int> ids, uint flags = 0) {
        IntPtr h = handle.Get();
        UIntPtr len;
        byte[] text = new byte[ids.Length * 16 + 16];
        fixed (int* i = &MemoryMarshal.GetReference(ids)) {
            var ispan = new DeltaNetNative.Span((IntPtr)i, ids.Length);
            for (;;) {
                int status;
                fixed (byte* t = text) {
                    var tspan = new DeltaNetNative.Span((IntPtr)t, text.Length);
                    status = DeltaNetNativePINVOKE.dn_tokenizer_decode(h, ref ispan, flags, ref tspan, out len);
                }
                if (status == (int)Status.BufferTooSmall && len.ToUInt64() > (ulong)text.Length) {
                    text = new byte[checked((int)len.ToUInt64())];
                    continue;
                }
                DeltaNetException.Check(status);
                break;
            }
        }
        GC.KeepAlive(this);
        return Encoding.UTF8.GetString(text, 0, checked((int)len.ToUInt64()));
    }

    /// <summary>Whether token <paramref name="id"/> is special (an added token marked special, such as bos/eos).</summary>
    public bool IsSpecial(int id) {
        int v;
        DeltaNetNative.dn_tokenizer_is_special(handle.Get(), id, out v);
        GC.KeepAlive(this);
        return v != 0;
    }

    /// <summary>A streaming detokenizer for this tokenizer; <paramref name="flags"/>: SkipSpecial.</summary>
    public Detokenizer NewDetokenizer(uint flags = 0) { return new Detokenizer(this, flags); }

    /// <summary>The beginning-of-sequence id, or -1.</summary>
    public int BosTokenId { get { int b, e; DeltaNetNative.dn_tokenizer_bos_eos(handle.Get(), out b, out e); GC.KeepAlive(this); return b; } }

    /// <summary>The end-of-sequence id, or -1.</summary>
    public int EosTokenId { get { int b, e; DeltaNetNative.dn_tokenizer_bos_eos(handle.Get(), out b, out e); GC.KeepAlive(this); return e; } }

    internal IntPtr Handle { get { return handle.Get(); } }

    internal NativeHandle NativeHandle { get { return handle; } }

    /// <summary>Disposes the tokenizer: further use throws ObjectDisposedException; its memory goes once
    /// its detokenizers are disposed too. Disposing twice is harmless.</summary>
    public void Dispose() {
        handle.Close();
        GC.SuppressFinalize(this);
    }
}

}
