using System;

namespace DeltaNet {

/// <summary>An execution queue on one device ("cpu", "cuda:0"); used by one thread at a time.</summary>
public sealed class Stream : IDisposable {
    private readonly NativeHandle handle;

    /// <summary>A stream on <paramref name="device"/>; <paramref name="numThreads"/>: CPU worker
    /// threads, 0 for all cores.</summary>
    public Stream(string device, int numThreads = 0) {
        using (var options = new dn_stream_options()) {
            DeltaNetNative.dn_stream_options_init(options);
            options.num_threads = numThreads;
            IntPtr p;
            DeltaNetNative.dn_stream_create(device, options, out p);
            handle = new NativeHandle("stream", p, h => DeltaNetNative.dn_stream_destroy(h), null);
        }
    }

    ~Stream() { if (handle != null) handle.Close(); }

    /// <summary>The device string the stream was created for.</summary>
    public string Device {
        get {
            string device;
            DeltaNetNative.dn_stream_device(handle.Get(), out device);
            GC.KeepAlive(this);
            return device;
        }
    }

    /// <summary>Waits until all work submitted to the stream has finished.</summary>
    public void Synchronize() {
        DeltaNetNative.dn_stream_synchronize(handle.Get());
        GC.KeepAlive(this);
    }

    internal IntPtr Handle { get { return handle.Get(); } }

    /// <summary>Destroys the stream; models and states made through it stay valid. Disposing twice is
    /// harmless.</summary>
    public void Dispose() {
        handle.Close();
        GC.SuppressFinalize(this);
    }
}

}
