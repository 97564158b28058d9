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
    int num_threads = 0;  // 0: all
    dn::Workspace workspace;
};

struct dn_model {
    std::unique_ptr<dn::Model> model;
};

struct dn_state {
    std::unique_ptr<dn::State> state;
};

namespace dn::api {

// Sets the calling thread's OpenMP team size for the duration of a call and restores it after, so
// that the host program's own OpenMP settings are left as they were.
class ThreadScope {
public:
    explicit ThreadScope(const dn_stream &stream);
    ~ThreadScope();

private:
    int saved_;
};

}  // namespace dn::api
