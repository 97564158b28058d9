/* C# typemaps of the SWIG interface (included by deltanet.i). The generated module is internal: the
 * public classes of namespace DeltaNet (Stream, Model, ...) are written by hand on top. The glue
 * needs /unsafe: arrays are pinned with `fixed` and passed as (pointer, length) spans. */

%pragma(csharp) moduleclassmodifiers = "internal class"
%pragma(csharp) imclassclassmodifiers = "internal class"
%typemap(csclassmodifiers) SWIGTYPE "internal class"

%pragma(csharp) modulecode = %{
  /// <summary>An array as the glue takes it: a pinned pointer and a length, -1 for a null array.</summary>
  [global::System.Runtime.InteropServices.StructLayout(global::System.Runtime.InteropServices.LayoutKind.Sequential)]
  internal struct Span {
    public global::System.IntPtr Data;
    public long Length;
    public Span(global::System.IntPtr data, long length) { Data = data; Length = length; }
  }

  /// <summary>dn_generate_callback. It must not throw: exceptions cannot cross the C frames.</summary>
  [global::System.Runtime.InteropServices.UnmanagedFunctionPointer(global::System.Runtime.InteropServices.CallingConvention.Cdecl)]
  internal delegate int PieceCallback(global::System.IntPtr text, global::System.UIntPtr len, int token, global::System.IntPtr userData);

  /// <summary>dn_progress_fn: nonzero cancels the load. It must not throw either.</summary>
  [global::System.Runtime.InteropServices.UnmanagedFunctionPointer(global::System.Runtime.InteropServices.CallingConvention.Cdecl)]
  internal delegate int ProgressCallback(ulong done, ulong total, global::System.IntPtr userData);

  /// <summary>UTF-8 bytes of a NUL-terminated C string (null for a null pointer).</summary>
  internal static byte[] Bytes(global::System.IntPtr p) {
    if (p == global::System.IntPtr.Zero) return null;
    int n = 0;
    while (global::System.Runtime.InteropServices.Marshal.ReadByte(p, n) != 0) ++n;
    return Bytes(p, n);
  }

  internal static byte[] Bytes(global::System.IntPtr p, int n) {
    byte[] b = new byte[n];
    if (n > 0) global::System.Runtime.InteropServices.Marshal.Copy(p, b, 0, n);
    return b;
  }

  internal static string Utf8(global::System.IntPtr p) {
    byte[] b = Bytes(p);
    return b == null ? null : global::System.Text.Encoding.UTF8.GetString(b);
  }

  internal static byte[] Utf8Z(string s) {
    if (s == null) return null;
    byte[] b = new byte[global::System.Text.Encoding.UTF8.GetByteCount(s) + 1];
    global::System.Text.Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
    return b;
  }
%}

%{
typedef struct dn_swig_span {
    void *data;
    int64_t length; /* -1: a null array */
} dn_swig_span;

/* What an empty (not null) array passes: a valid pointer, as for a C caller's empty buffer. */
static int32_t dn_swig_empty[1];
%}

/* ---- Status: a non-OK result throws DeltaNetException ------------------------------------------ */
%typemap(csout, excode = SWIGEXCODE) dn_status {
    int status = $imcall;$excode
    return DeltaNetException.Check(status);
  }

/* ---- Sizes: 64-bit ----------------------------------------------------------------------------- */
%apply unsigned long long { size_t };

/* ---- Strings, as UTF-8 --------------------------------------------------------------------------- */
%typemap(ctype) const char * "const char *"
%typemap(cstype) const char * "string"
%typemap(csin) const char * "DeltaNetNative.Utf8Z($csinput)"
%typemap(in) const char * %{ $1 = ($1_ltype)$input; %}
%typemap(imtype, out = "global::System.IntPtr") const char * "byte[]"
%typemap(out) const char * %{ $result = $1; %}
%typemap(csout, excode = SWIGEXCODE) const char * {
    string text = DeltaNetNative.Utf8($imcall);$excode
    return text;
  }

/* An output string: `out string`. */
%typemap(ctype) const char ** "const char **"
%typemap(imtype) const char ** "out global::System.IntPtr"
%typemap(cstype) const char ** "out string"
%typemap(csin, pre = "    global::System.IntPtr p$csinput = global::System.IntPtr.Zero;",
         post = "      $csinput = DeltaNetNative.Utf8(p$csinput);") const char ** "out p$csinput"
%typemap(in) const char ** %{ $1 = ($1_ltype)$input; *$1 = NULL; %}

/* ---- Handles: opaque pointers as IntPtr; a created one comes back as `out IntPtr` -------------- */
%define DN_CSHARP_HANDLE(TYPE)
%typemap(ctype) TYPE *, const TYPE * "void *"
%typemap(imtype) TYPE *, const TYPE * "global::System.IntPtr"
%typemap(cstype) TYPE *, const TYPE * "global::System.IntPtr"
%typemap(csin) TYPE *, const TYPE * "$csinput"
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)$input; %}
%typemap(ctype) TYPE ** "void **"
%typemap(imtype) TYPE ** "out global::System.IntPtr"
%typemap(cstype) TYPE ** "out global::System.IntPtr"
%typemap(csin) TYPE ** "out $csinput"
%typemap(in) TYPE ** %{ $1 = ($1_ltype)$input; *$1 = NULL; %}
%enddef
DN_CSHARP_HANDLE(dn_stream)
DN_CSHARP_HANDLE(dn_model)
DN_CSHARP_HANDLE(dn_state)
DN_CSHARP_HANDLE(dn_tokenizer)
DN_CSHARP_HANDLE(dn_sampler)
DN_CSHARP_HANDLE(dn_detokenizer)

/* ---- Scalar out-parameters: `out` arguments ------------------------------------------------------ */
%define DN_CSHARP_OUT(CTYPE, CSTYPE)
%typemap(ctype) CTYPE * "CTYPE *"
%typemap(imtype) CTYPE * "out CSTYPE"
%typemap(cstype) CTYPE * "out CSTYPE"
%typemap(csin) CTYPE * "out $csinput"
%typemap(in) CTYPE * %{ $1 = ($1_ltype)$input; *$1 = (CTYPE)0; %}
%typemap(argout) CTYPE * ""
%enddef
DN_CSHARP_OUT(int32_t, int)
DN_CSHARP_OUT(int, int)
DN_CSHARP_OUT(dn_family, int)
DN_CSHARP_OUT(dn_dtype, int)
DN_CSHARP_OUT(int64_t, long)
DN_CSHARP_OUT(uint64_t, ulong)
DN_CSHARP_OUT(size_t, global::System.UIntPtr)

/* ---- (pointer, count) pairs: C# arrays, pinned for the call (no copies) -------------------------- */
%define DN_CSHARP_ARRAY(CTYPE, CSTYPE, NAME)
%typemap(ctype) (CTYPE *NAME, size_t LENGTH) "dn_swig_span *"
%typemap(imtype) (CTYPE *NAME, size_t LENGTH) "ref DeltaNetNative.Span"
%typemap(cstype) (CTYPE *NAME, size_t LENGTH) "CSTYPE[]"
%typemap(csin, pre = "    unsafe { fixed (CSTYPE* p$csinput = $csinput) {\n"
                     "    DeltaNetNative.Span s$csinput = new DeltaNetNative.Span((global::System.IntPtr)p$csinput, $csinput == null ? -1 : $csinput.Length);",
         terminator = "    }}") (CTYPE *NAME, size_t LENGTH) "ref s$csinput"
%typemap(in) (CTYPE *NAME, size_t LENGTH) {
    $1 = $input->length < 0 ? NULL : $input->data ? ($1_ltype)$input->data : ($1_ltype)dn_swig_empty;
    $2 = $input->length < 0 ? 0 : (size_t)$input->length;
}
%typemap(argout) (CTYPE *NAME, size_t LENGTH) ""
%enddef
DN_CSHARP_ARRAY(const int32_t, int, IN_ARRAY)
DN_CSHARP_ARRAY(const long long, long, IN_ARRAY)
DN_CSHARP_ARRAY(const float, float, IN_ARRAY)
DN_CSHARP_ARRAY(const char, byte, IN_ARRAY)
DN_CSHARP_ARRAY(const void, byte, IN_ARRAY)
DN_CSHARP_ARRAY(int32_t, int, OUT_ARRAY)
DN_CSHARP_ARRAY(float, float, OUT_ARRAY)
DN_CSHARP_ARRAY(char, byte, OUT_ARRAY)
DN_CSHARP_ARRAY(void, byte, OUT_ARRAY)

/* ---- A (text, length) result: `out byte[]`, the bytes copied (empty on error) ------------------ */
%typemap(ctype) (const char **OUT_TEXT, size_t *OUT_LEN) "dn_swig_span *"
%typemap(imtype) (const char **OUT_TEXT, size_t *OUT_LEN) "out DeltaNetNative.Span"
%typemap(cstype) (const char **OUT_TEXT, size_t *OUT_LEN) "out byte[]"
%typemap(csin, pre = "    DeltaNetNative.Span s$csinput = default(DeltaNetNative.Span);",
         post = "      $csinput = DeltaNetNative.Bytes(s$csinput.Data, checked((int)s$csinput.Length));")
    (const char **OUT_TEXT, size_t *OUT_LEN) "out s$csinput"
%typemap(in) (const char **OUT_TEXT, size_t *OUT_LEN) (const char *text = NULL, size_t len = 0) {
    $input->data = NULL;
    $input->length = 0;
    $1 = ($1_ltype)&text;
    $2 = ($2_ltype)&len;
}
%typemap(argout) (const char **OUT_TEXT, size_t *OUT_LEN) {
    if (result == DN_OK && text$argnum) {
        $input->data = (void *)text$argnum;
        $input->length = (int64_t)len$argnum;
    }
}

/* ---- Generation callback: a DeltaNetNative.PieceCallback delegate (the public layer wraps the
 * user's callback so that it never throws into C, and rethrows after dn_generate returns). ------ */
%typemap(ctype) dn_swig_sink * "dn_generate_callback"
%typemap(imtype) dn_swig_sink * "DeltaNetNative.PieceCallback"
%typemap(cstype) dn_swig_sink * "DeltaNetNative.PieceCallback"
%typemap(csin) dn_swig_sink * "$csinput"
%typemap(in) dn_swig_sink * (dn_swig_sink sink) {
    $1 = NULL;
    if ($input) {
        sink.fn = $input;
        sink.user_data = NULL;
        $1 = &sink;
    }
}

/* ---- Load progress callback: a DeltaNetNative.ProgressCallback delegate (wrapped by the public
 * layer as the generation callback is). ------------------------------------------------------------ */
%typemap(ctype) dn_swig_progress * "dn_progress_fn"
%typemap(imtype) dn_swig_progress * "DeltaNetNative.ProgressCallback"
%typemap(cstype) dn_swig_progress * "DeltaNetNative.ProgressCallback"
%typemap(csin) dn_swig_progress * "$csinput"
%typemap(in) dn_swig_progress * (dn_swig_progress progress) {
    $1 = NULL;
    if ($input) {
        progress.fn = $input;
        progress.user_data = NULL;
        $1 = &progress;
    }
}
