// Running the model: one sequence's tokens (prefill or a single decode step) or one token for each of
// several sequences (batched decode). Written against the Backend interface only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "model/model.h"
#include "model/state.h"

namespace dn {

// Scratch memory for activations, owned by a stream and reused across calls.
class Workspace {
public:
    Workspace() = default;
    ~Workspace();
    Workspace(const Workspace &) = delete;
    Workspace &operator=(const Workspace &) = delete;
    // A buffer of at least `count` floats on `backend` (contents undefined). Throws OOM.
    float *get(Backend &backend, size_t count);
    // Gives the buffer (and every recorded pass) back to its backend now.
    void clear();

    // Decode passes recorded for replay (backends that can capture), keyed by what they were
    // recorded for: the model, the states (serials: addresses are reused), the rows, the logits
    // wanted and the buffer. A pass is recorded the second time its key is seen, so that the first
    // run has sized every scratch buffer it needs.
    using PassKey = std::tuple<uint64_t, std::vector<uint64_t>, int64_t, int, const float *>;
    std::map<PassKey, std::unique_ptr<CapturedPass>> captured;
    std::set<PassKey> seen;

private:
    Backend *backend_ = nullptr;
    float *buffer_ = nullptr;
    size_t capacity_ = 0;
};

struct Sequence {
    State *state = nullptr;
    const int32_t *tokens = nullptr;  // host
    int64_t n = 0;
};

enum class LogitRows { None, Last, All };

// Runs the sequences through the model, advancing their states, and writes logits (host memory):
// LogitRows::All: every row of every sequence, in order; Last: the last row of each sequence.
// The caller has validated tokens, states and buffer sizes: from here on only device errors and
// out-of-memory can fail, and those are raised before any state changes.
void run_forward(const Model &model, const std::vector<Sequence> &sequences, LogitRows rows, float *logits,
                 Workspace &workspace);

}  // namespace dn
