package org.deltanet;

import java.lang.ref.Reference;

/** An execution queue on one device ("cpu", "cuda:0"); used by one thread at a time. */
public final class Stream implements AutoCloseable {
    private final NativeHandle handle;

    /** A stream on {@code device} with default options (all cores on the CPU). */
    public Stream(String device) { this(device, 0); }

    /** A stream on {@code device}; {@code numThreads}: CPU worker threads, 0 for all cores. */
    public Stream(String device, int numThreads) {
        dn_stream_options options = new dn_stream_options();
        DeltaNetNative.dn_stream_options_init(options);
        options.setNum_threads(numThreads);
        long[] out = new long[1];
        DeltaNetNative.dn_stream_create(device, options, out);
        handle = new NativeHandle(this, "stream", out[0], DeltaNetNative::dn_stream_destroy, null);
    }

    /** The device string the stream was created for. */
    public String device() {
        try {
            String[] out = new String[1];
            DeltaNetNative.dn_stream_device(handle.get(), out);
            return out[0];
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Waits until all work submitted to the stream has finished. */
    public void synchronize() {
        try {
            DeltaNetNative.dn_stream_synchronize(handle.get());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    long handle() { return handle.get(); }

    /** Destroys the stream; models and states made through it stay valid. Closing twice is harmless. */
    @Override
    public void close() { handle.close(); }
}
