using System;

namespace DeltaNet {

/// <summary>
/// Owns one native handle for a public wrapper. It is freed once: by Dispose, or by the wrapper's
/// finalizer. A handle with dependents (a tokenizer's detokenizers, which the C API wants freed first)
/// is only freed after the last of them, whatever order Dispose and the finalizers pick. After Close
/// the wrapper is unusable (Get throws ObjectDisposedException) even while the memory waits for
/// dependents. (States need no such link: the library keeps what a state needs of its model alive.)
/// </summary>
internal sealed class NativeHandle {
    private readonly string what;
    private readonly Action<IntPtr> free;
    private readonly NativeHandle parent;
    private IntPtr ptr;
    private int dependents;
    private bool closed;

    internal NativeHandle(string what, IntPtr ptr, Action<IntPtr> free, NativeHandle parent) {
        this.what = what;
        this.ptr = ptr;
        this.free = free;
        this.parent = parent;
        if (parent != null) parent.Retain();
    }

    /// <summary>The handle, for a call.</summary>
    internal IntPtr Get() {
        lock (this) {
            if (closed) throw new ObjectDisposedException(what);
            return ptr;
        }
    }

    /// <summary>Idempotent.</summary>
    internal void Close() {
        bool now;
        lock (this) {
            if (closed) return;
            closed = true;
            now = dependents == 0;
        }
        if (now) Release();
    }

    private void Retain() {
        lock (this) {
            if (closed) throw new ObjectDisposedException(what);
            ++dependents;
        }
    }

    private void DependentFreed() {
        bool now;
        lock (this) now = --dependents == 0 && closed;
        if (now) Release();
    }

    private void Release() {
        IntPtr p;
        lock (this) {
            p = ptr;
            ptr = IntPtr.Zero;
        }
        if (p == IntPtr.Zero) return;
        free(p);
        if (parent != null) parent.DependentFreed();
    }
}

}
