// What the opaque handles of deltanet.h are.
#pragma once

#include <memory>
#include <string>

#include "backends/backend.h"
#include "model/forward.h"
#include "model/model.h"
#include "model/state.h"

struct dn_stream {
    std::string device;
    dn::Backend *backend = nullptr;
    std::unique_ptr<dn::Queue> queue;
    dn::Workspace workspace;  // activations of this stream's calls, on its device
};

struct dn_model {
    std::unique_ptr<dn::Model> model;
};

struct dn_state {
    std::unique_ptr<dn::State> state;
};

namespace dn::api {

// Runs the calling thread's backend operations on the stream's queue for the duration of a call
// (on the CPU this also sets the OpenMP team size, restored after so that the host program's own
// settings are left as they were).
class StreamScope : public QueueScope {
public:
    explicit StreamScope(dn_stream &stream) : QueueScope(*stream.backend, stream.queue.get()) {}
};

}  // namespace dn::api
