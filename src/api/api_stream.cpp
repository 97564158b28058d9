#include "api/guard.h"
#include "api/handles.h"

using namespace dn;
using namespace dn::api;

extern "C" {

dn_status dn_stream_options_init(dn_stream_options *options) {
    return guarded([&] {
        require(options, "options");
        *options = dn_stream_options{};
        options->struct_size = sizeof(dn_stream_options);
        options->num_threads = 0;
    });
}

dn_status dn_stream_create(const char *device, const dn_stream_options *options, dn_stream **out_stream) {
    return guarded([&] {
        require(device, "device");
        require(out_stream, "out_stream");
        check_struct_size(options, offsetof(dn_stream_options, num_threads) + sizeof(int32_t), "dn_stream_options");
        int threads = 0;
        if (options) {
            if (options->num_threads < 0)
                fail(DN_ERR_INVALID_ARGUMENT, "dn_stream_options.num_threads is negative (", options->num_threads, ")");
            threads = options->num_threads;
        }
        Backend &backend = backend_for_device(device);
        auto stream = std::make_unique<dn_stream>();
        stream->device = device;
        stream->backend = &backend;
        stream->queue = backend.create_queue(threads);
        *out_stream = stream.release();
    });
}

dn_status dn_stream_synchronize(dn_stream *stream) {
    return guarded([&] {
        require(stream, "stream");
        stream->queue->synchronize();
    });
}

dn_status dn_stream_device(const dn_stream *stream, const char **out_device) {
    return guarded([&] {
        require(stream, "stream");
        require(out_device, "out_device");
        *out_device = stream->device.c_str();
    });
}

dn_status dn_stream_destroy(dn_stream *stream) {
    return guarded([&] {
        if (!stream) return;
        try {
            stream->queue->synchronize();
        } catch (...) {
            // A device error surfaces at the next call on it; destroying must still free the stream.
        }
        {
            StreamScope scope(*stream);  // the workspace is released in the stream's queue order
            stream->workspace.clear();
        }
        delete stream;
    });
}

}  // extern "C"
