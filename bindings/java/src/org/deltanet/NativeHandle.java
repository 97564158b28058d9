package org.deltanet;

import java.lang.ref.Cleaner;
import java.util.function.LongConsumer;

/**
 * Owns one native handle for a public wrapper object. The handle is freed once: on close(), or by
 * the cleaner after the wrapper becomes unreachable. A handle with dependents (a tokenizer's
 * detokenizers, which the C API wants freed first) is only freed after the last of them, whatever
 * order close and the GC pick. After close() the wrapper is unusable (get() throws) even while the
 * memory waits for dependents. (States need no such link: the library keeps what a state needs of
 * its model alive by itself.)
 */
final class NativeHandle implements Runnable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final String what;
    private final LongConsumer free;
    private final NativeHandle parent;
    private final Cleaner.Cleanable cleanable;
    private long ptr;
    private int dependents;
    private boolean closed;

    /** Takes ownership of {@code ptr} for {@code owner}; {@code parent} (may be null) must outlive it. */
    NativeHandle(Object owner, String what, long ptr, LongConsumer free, NativeHandle parent) {
        this.what = what;
        this.ptr = ptr;
        this.free = free;
        this.parent = parent;
        if (parent != null) parent.retain();
        this.cleanable = CLEANER.register(owner, this);
    }

    /** The handle, for a call; throws IllegalStateException once closed. */
    synchronized long get() {
        if (closed) throw new IllegalStateException(what + " is closed");
        return ptr;
    }

    synchronized boolean isClosed() { return closed; }

    /** Idempotent: the cleaner runs run() at most once. */
    void close() { cleanable.clean(); }

    @Override
    public void run() {
        boolean now;
        synchronized (this) {
            closed = true;
            now = dependents == 0;
        }
        if (now) release();
    }

    private synchronized void retain() {
        if (closed) throw new IllegalStateException(what + " is closed");
        ++dependents;
    }

    private void dependentFreed() {
        boolean now;
        synchronized (this) {
            now = --dependents == 0 && closed;
        }
        if (now) release();
    }

    private void release() {
        long p;
        synchronized (this) {
            p = ptr;
            ptr = 0;
        }
        if (p == 0) return;
        free.accept(p);
        if (parent != null) parent.dependentFreed();
    }
}
