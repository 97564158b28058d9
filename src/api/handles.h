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

// A model is shared by its handle and its states: dn_model_free() drops the handle's share, and the
// memory goes with the last state, so freeing in the "wrong" order is safe.
struct dn_model {
    std::shared_ptr<dn::Model> model;
};

struct dn_state {
    std::shared_ptr<const dn::Model> model;  // declared first: destroyed after `state`
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
