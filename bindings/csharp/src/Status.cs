namespace DeltaNet {

/// <summary>The result of a library call; every value but <see cref="Ok"/> arrives as a
/// <see cref="DeltaNetException"/>. The values are the C API's dn_status codes.</summary>
public enum Status {
    Ok = DeltaNetNative.DN_OK,
    NullArgument = DeltaNetNative.DN_ERR_NULL_ARGUMENT,
    InvalidArgument = DeltaNetNative.DN_ERR_INVALID_ARGUMENT,
    Io = DeltaNetNative.DN_ERR_IO,
    MalformedFile = DeltaNetNative.DN_ERR_MALFORMED_FILE,
    ModelMismatch = DeltaNetNative.DN_ERR_MODEL_MISMATCH,
    Unsupported = DeltaNetNative.DN_ERR_UNSUPPORTED,
    TokenOutOfRange = DeltaNetNative.DN_ERR_TOKEN_OUT_OF_RANGE,
    BufferTooSmall = DeltaNetNative.DN_ERR_BUFFER_TOO_SMALL,
    StateMismatch = DeltaNetNative.DN_ERR_STATE_MISMATCH,
    StateCorrupt = DeltaNetNative.DN_ERR_STATE_CORRUPT,
    ContextFull = DeltaNetNative.DN_ERR_CONTEXT_FULL,
    OutOfMemory = DeltaNetNative.DN_ERR_OUT_OF_MEMORY,
    Device = DeltaNetNative.DN_ERR_DEVICE,
    Internal = DeltaNetNative.DN_ERR_INTERNAL
}

/// <summary>A library call failed: <see cref="Status"/> says how, the message (dn_last_error) what.</summary>
public class DeltaNetException : System.Exception {
    /// <summary>An exception for <paramref name="status"/> with the library's message.</summary>
    public DeltaNetException(Status status, string message)
        : base(status + ": " + (string.IsNullOrEmpty(message) ? Describe(status) : message)) {
        Status = status;
    }

    /// <summary>Why the call failed.</summary>
    public Status Status { get; private set; }

    /// <summary>The library's short English description of a status ("token id out of range").</summary>
    public static string Describe(Status status) { return DeltaNetNative.dn_swig_status_string((int)status); }

    /// <summary>Used by the generated module on every dn_status result: reads the calling thread's
    /// message right after the failed call.</summary>
    internal static int Check(int status) {
        if (status != DeltaNetNative.DN_OK) throw new DeltaNetException((Status)status, DeltaNetNative.dn_last_error());
        return status;
    }
}

}
