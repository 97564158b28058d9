/* Java typemaps of the SWIG interface (included by deltanet.i). The generated module is
 * package-private: org.deltanet's public classes (Stream, Model, ...) are written by hand on top. */

%pragma(java) jniclassclassmodifiers = "final class"
%pragma(java) moduleclassmodifiers = "final class"
%typemap(javaclassmodifiers) SWIGTYPE "final class"
%typemap(javaclassmodifiers) enum SWIGTYPE "final class"

/* -Dorg.deltanet.library=/path/libdeltanet_java.so overrides the search of java.library.path. */
%pragma(java) jniclasscode = %{
  static {
    String path = System.getProperty("org.deltanet.library");
    if (path != null) System.load(path); else System.loadLibrary("deltanet_java");
  }
%}

/* Java strings are passed as UTF-8 bytes (JNI's own "modified UTF-8" differs for NUL and characters
 * beyond the BMP). */
%pragma(java) modulecode = %{
  static String utf8(byte[] bytes) {
    return bytes == null ? null : new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }
  static byte[] utf8z(String text) {
    if (text == null) return null;
    byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return java.util.Arrays.copyOf(b, b.length + 1);
  }
%}

%{
/* What an empty (not null) array passes: a valid pointer, as for a C caller's empty buffer. */
static int32_t dn_swig_empty[1];

static jbyteArray dn_swig_bytes(JNIEnv *jenv, const char *p, size_t n) {
    jbyteArray a;
    if (!p) return NULL;
    a = (*jenv)->NewByteArray(jenv, (jsize)n);
    if (a) (*jenv)->SetByteArrayRegion(jenv, a, 0, (jsize)n, (const jbyte *)p);
    return a;
}
%}

/* ---- Status: a non-OK result throws DeltaNetException ------------------------------------------ */
/* (Raw methods return the status, always DN_OK when they return; keeping the jstype int keeps the
 * enum's constants ints too.) */
%typemap(javaout) dn_status { return DeltaNetException.check($jnicall); }

/* ---- 64-bit unsigned values (seeds, byte counts) as long --------------------------------------- */
%apply int64_t { uint64_t };

/* ---- Strings ----------------------------------------------------------------------------------- */
%typemap(jni) const char * "jbyteArray"
%typemap(jtype) const char * "byte[]"
%typemap(jstype) const char * "String"
%typemap(javain) const char * "DeltaNetNative.utf8z($javainput)"
%typemap(javaout) const char * { return DeltaNetNative.utf8($jnicall); }
%typemap(in) const char * {
    $1 = $input ? ($1_ltype)(*jenv)->GetByteArrayElements(jenv, $input, NULL) : NULL;
    if ($input && !$1) return $null;
}
%typemap(freearg) const char * { if ($1) (*jenv)->ReleaseByteArrayElements(jenv, $input, (jbyte *)$1, JNI_ABORT); }
%typemap(out) const char * %{ $result = dn_swig_bytes(jenv, $1, $1 ? strlen($1) : 0); %}

/* An output string: a String[1] on the Java side. */
%typemap(jni) const char ** "jobjectArray"
%typemap(jtype) const char ** "byte[][]"
%typemap(jstype) const char ** "String[]"
%typemap(javain, pre = "    byte[][] bytes$javainput = new byte[1][];",
         post = "      $javainput[0] = DeltaNetNative.utf8(bytes$javainput[0]);") const char ** "bytes$javainput"
%typemap(in) const char ** (const char *temp = NULL) { $1 = ($1_ltype)&temp; }
%typemap(argout) const char ** {
    if (temp$argnum) {
        jbyteArray b = dn_swig_bytes(jenv, temp$argnum, strlen(temp$argnum));
        if (!b) return $null;
        (*jenv)->SetObjectArrayElement(jenv, $input, 0, b);
    }
}

/* ---- Handles: opaque pointers as long; a created one comes back in a long[1] ------------------- */
%define DN_JAVA_HANDLE(TYPE)
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(jni) TYPE ** "jlongArray"
%typemap(jtype) TYPE ** "long[]"
%typemap(jstype) TYPE ** "long[]"
%typemap(javain) TYPE ** "$javainput"
%typemap(in) TYPE ** (TYPE *temp = NULL) {
    if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
        SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "handle output needs a long[1]");
        return $null;
    }
    $1 = &temp;
}
%typemap(argout) TYPE ** {
    jlong v = (jlong)(intptr_t)temp$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
}
%enddef
DN_JAVA_HANDLE(dn_stream)
DN_JAVA_HANDLE(dn_model)
DN_JAVA_HANDLE(dn_state)
DN_JAVA_HANDLE(dn_tokenizer)
DN_JAVA_HANDLE(dn_sampler)
DN_JAVA_HANDLE(dn_detokenizer)

/* ---- Scalar out-parameters: a one-element array -------------------------------------------------- */
%define DN_JAVA_OUT(CTYPE, JNIARRAY, JTYPE, JFN, JELEM)
%typemap(jni) CTYPE * "JNIARRAY"
%typemap(jtype) CTYPE * "JTYPE[]"
%typemap(jstype) CTYPE * "JTYPE[]"
%typemap(javain) CTYPE * "$javainput"
%typemap(in) CTYPE * (CTYPE temp) {
    if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
        SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "output needs an array of one element");
        return $null;
    }
    temp = (CTYPE)0;
    $1 = &temp;
}
%typemap(argout) CTYPE * {
    JELEM v = (JELEM)temp$argnum;
    (*jenv)->Set##JFN##ArrayRegion(jenv, $input, 0, 1, &v);
}
%enddef
DN_JAVA_OUT(int32_t, jintArray, int, Int, jint)
DN_JAVA_OUT(int, jintArray, int, Int, jint)
DN_JAVA_OUT(dn_family, jintArray, int, Int, jint)
DN_JAVA_OUT(dn_dtype, jintArray, int, Int, jint)
DN_JAVA_OUT(int64_t, jlongArray, long, Long, jlong)
DN_JAVA_OUT(uint64_t, jlongArray, long, Long, jlong)
DN_JAVA_OUT(size_t, jlongArray, long, Long, jlong)

/* ---- (pointer, count) pairs: Java arrays, copied once each way ---------------------------------- */
/* Input: the elements are read, never written back. A null array passes NULL and 0. */
%define DN_JAVA_ARRAY_IN(CTYPE, JNIARRAY, JTYPE, JFN, JELEM)
%typemap(jni) (CTYPE *IN_ARRAY, size_t LENGTH) "JNIARRAY"
%typemap(jtype) (CTYPE *IN_ARRAY, size_t LENGTH) "JTYPE[]"
%typemap(jstype) (CTYPE *IN_ARRAY, size_t LENGTH) "JTYPE[]"
%typemap(javain) (CTYPE *IN_ARRAY, size_t LENGTH) "$javainput"
%typemap(argout) (CTYPE *IN_ARRAY, size_t LENGTH) ""  /* not the scalar out-parameter one */
%typemap(in) (CTYPE *IN_ARRAY, size_t LENGTH) {
    $1 = NULL;
    $2 = 0;
    if ($input) {
        $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
        $1 = $2 ? ($1_ltype)(*jenv)->Get##JFN##ArrayElements(jenv, $input, NULL) : ($1_ltype)dn_swig_empty;
        if (!$1) return $null;
    }
}
%typemap(freearg) (CTYPE *IN_ARRAY, size_t LENGTH) {
    if ($2) (*jenv)->Release##JFN##ArrayElements(jenv, $input, (JELEM *)$1, JNI_ABORT);
}
%enddef
/* Output buffers: written back only when the call succeeds (a failed call leaves them untouched). */
%define DN_JAVA_ARRAY_OUT(CTYPE, JNIARRAY, JTYPE, JFN, JELEM)
%typemap(jni) (CTYPE *OUT_ARRAY, size_t LENGTH) "JNIARRAY"
%typemap(jtype) (CTYPE *OUT_ARRAY, size_t LENGTH) "JTYPE[]"
%typemap(jstype) (CTYPE *OUT_ARRAY, size_t LENGTH) "JTYPE[]"
%typemap(javain) (CTYPE *OUT_ARRAY, size_t LENGTH) "$javainput"
%typemap(argout) (CTYPE *OUT_ARRAY, size_t LENGTH) ""  /* not the scalar out-parameter one */
%typemap(in) (CTYPE *OUT_ARRAY, size_t LENGTH) {
    $1 = NULL;
    $2 = 0;
    if ($input) {
        $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
        $1 = $2 ? ($1_ltype)(*jenv)->Get##JFN##ArrayElements(jenv, $input, NULL) : ($1_ltype)dn_swig_empty;
        if (!$1) return $null;
    }
}
%typemap(freearg) (CTYPE *OUT_ARRAY, size_t LENGTH) {
    if ($2) (*jenv)->Release##JFN##ArrayElements(jenv, $input, (JELEM *)$1, result == DN_OK ? 0 : JNI_ABORT);
}
%enddef
DN_JAVA_ARRAY_IN(const int32_t, jintArray, int, Int, jint)
DN_JAVA_ARRAY_IN(const long long, jlongArray, long, Long, jlong)
DN_JAVA_ARRAY_IN(const float, jfloatArray, float, Float, jfloat)
DN_JAVA_ARRAY_IN(const char, jbyteArray, byte, Byte, jbyte)
DN_JAVA_ARRAY_IN(const void, jbyteArray, byte, Byte, jbyte)
DN_JAVA_ARRAY_OUT(int32_t, jintArray, int, Int, jint)
DN_JAVA_ARRAY_OUT(float, jfloatArray, float, Float, jfloat)
DN_JAVA_ARRAY_OUT(char, jbyteArray, byte, Byte, jbyte)
DN_JAVA_ARRAY_OUT(void, jbyteArray, byte, Byte, jbyte)

/* ---- A (text, length) result: its bytes, copied into a byte[1][] (left null on error) ---------- */
%typemap(jni) (const char **OUT_TEXT, size_t *OUT_LEN) "jobjectArray"
%typemap(jtype) (const char **OUT_TEXT, size_t *OUT_LEN) "byte[][]"
%typemap(jstype) (const char **OUT_TEXT, size_t *OUT_LEN) "byte[][]"
%typemap(javain) (const char **OUT_TEXT, size_t *OUT_LEN) "$javainput"
%typemap(in) (const char **OUT_TEXT, size_t *OUT_LEN) (const char *text = NULL, size_t len = 0) {
    if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
        SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "text output needs a byte[1][]");
        return $null;
    }
    $1 = ($1_ltype)&text;
    $2 = ($2_ltype)&len;
}
%typemap(argout) (const char **OUT_TEXT, size_t *OUT_LEN) {
    if (result == DN_OK) {
        jbyteArray b = dn_swig_bytes(jenv, text$argnum ? text$argnum : "", text$argnum ? len$argnum : 0);
        if (!b) return $null;
        (*jenv)->SetObjectArrayElement(jenv, $input, 0, b);
    }
}

/* ---- Generation callback: a NativeSink whose piece(byte[], int) returns whether to go on ---------
 * Called on the thread that called dn_generate, inside it. A Java exception thrown by the callback
 * is caught here (it must not stay pending across C frames), cancels generation, and is rethrown
 * once dn_generate has returned. */
%{
typedef struct dn_swig_java_sink {
    JNIEnv *env;
    jobject target;
    jmethodID method;
    jthrowable error;
} dn_swig_java_sink;

static int dn_swig_java_piece(const char *text, size_t len, int32_t token, void *user_data) {
    dn_swig_java_sink *s = (dn_swig_java_sink *)user_data;
    JNIEnv *env = s->env;
    jboolean go = JNI_FALSE;
    jbyteArray bytes = dn_swig_bytes(env, text ? text : "", text ? len : 0);
    if (bytes && !(*env)->ExceptionCheck(env)) {
        go = (*env)->CallBooleanMethod(env, s->target, s->method, bytes, (jint)token);
    }
    if (bytes) (*env)->DeleteLocalRef(env, bytes);
    if ((*env)->ExceptionCheck(env)) {
        s->error = (*env)->ExceptionOccurred(env);
        (*env)->ExceptionClear(env);
        return 0;
    }
    return go ? 1 : 0;
}
%}
%typemap(jni) dn_swig_sink * "jobject"
%typemap(jtype) dn_swig_sink * "NativeSink"
%typemap(jstype) dn_swig_sink * "NativeSink"
%typemap(javain) dn_swig_sink * "$javainput"
%typemap(in) dn_swig_sink * (dn_swig_sink sink, dn_swig_java_sink java) {
    $1 = NULL;
    java.error = NULL;
    if ($input) {
        jclass cls = (*jenv)->GetObjectClass(jenv, $input);
        java.env = jenv;
        java.target = $input;
        java.method = (*jenv)->GetMethodID(jenv, cls, "piece", "([BI)Z");
        if (!java.method) return $null;
        sink.fn = dn_swig_java_piece;
        sink.user_data = &java;
        $1 = &sink;
    }
}
%typemap(argout) dn_swig_sink * { if (java$argnum.error) (*jenv)->Throw(jenv, java$argnum.error); }

/* ---- Load progress callback: a NativeProgress whose progress(long, long) returns whether to go on --
 * As the generation callback: called inside dn_model_load on the calling thread; an exception cancels
 * the load and is rethrown once dn_model_load has returned. */
%{
typedef struct dn_swig_java_progress {
    JNIEnv *env;
    jobject target;
    jmethodID method;
    jthrowable error;
} dn_swig_java_progress;

static int dn_swig_java_progress_fn(uint64_t done, uint64_t total, void *user_data) {
    dn_swig_java_progress *s = (dn_swig_java_progress *)user_data;
    JNIEnv *env = s->env;
    jboolean go = (*env)->CallBooleanMethod(env, s->target, s->method, (jlong)done, (jlong)total);
    if ((*env)->ExceptionCheck(env)) {
        s->error = (*env)->ExceptionOccurred(env);
        (*env)->ExceptionClear(env);
        return 1;
    }
    return go ? 0 : 1; /* nonzero cancels */
}
%}
%typemap(jni) dn_swig_progress * "jobject"
%typemap(jtype) dn_swig_progress * "NativeProgress"
%typemap(jstype) dn_swig_progress * "NativeProgress"
%typemap(javain) dn_swig_progress * "$javainput"
%typemap(in) dn_swig_progress * (dn_swig_progress progress, dn_swig_java_progress java) {
    $1 = NULL;
    java.error = NULL;
    if ($input) {
        jclass cls = (*jenv)->GetObjectClass(jenv, $input);
        java.env = jenv;
        java.target = $input;
        java.method = (*jenv)->GetMethodID(jenv, cls, "progress", "(JJ)Z");
        if (!java.method) return $null;
        progress.fn = dn_swig_java_progress_fn;
        progress.user_data = &java;
        $1 = &progress;
    }
}
%typemap(argout) dn_swig_progress * { if (java$argnum.error) (*jenv)->Throw(jenv, java$argnum.error); }
