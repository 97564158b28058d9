// The threading contract of deltanet.h: one model used by several threads at once, each with its own
// stream and states, gives what serial use gives; different threads may load models at once.
#include <string>
#include <vector>

#include "support/dn_test.h"
#include "support/on_threads.h"

namespace {

using namespace dntest;

constexpr int kThreads = 3;

// Sequence `which`: a 70-token prefill then 6 decode steps; every logit row.
std::vector<float> run_sequence(dn_stream *stream, const dn_model *model, int which) {
    const int32_t vocab = vocab_size(model);
    const std::vector<int32_t> prompt = some_tokens(70, vocab, 100 + which);
    const std::vector<int32_t> decode = some_tokens(6, vocab, 200 + which);
    StatePtr state = make_state(model);
    std::vector<float> all = forward(stream, model, state.get(), prompt, DN_LOGITS_ALL);
    for (int32_t token : decode) {
        const std::vector<float> row = step(stream, model, state.get(), token);
        all.insert(all.end(), row.begin(), row.end());
    }
    return all;
}

TEST(Threads, OneModelUsedByThreadsAtOnceMatchesSerialUse) {
    StreamPtr stream = one_worker_stream();
    ModelPtr model = load_model(stream.get(), fixture_dir("deltanet-hybrid-tiny"));

    std::vector<std::vector<float>> serial(kThreads), parallel(kThreads);
    for (int i = 0; i < kThreads; ++i) serial[size_t(i)] = run_sequence(stream.get(), model.get(), i);

    const std::vector<std::string> errors = on_threads(kThreads, [&](int i) {
        StreamPtr own = one_worker_stream();
        parallel[size_t(i)] = run_sequence(own.get(), model.get(), i);
    });
    for (int i = 0; i < kThreads; ++i) {
        EXPECT_EQ(errors[size_t(i)], "") << "thread " << i;
        EXPECT_TRUE(bit_equal(parallel[size_t(i)], serial[size_t(i)]))
            << "thread " << i << ": rel L2 " << rel_l2(parallel[size_t(i)], serial[size_t(i)]);
    }
}

TEST(Threads, ModelsLoadedByThreadsAtOnce) {
    const fs::path dir = fixture_dir("gated-deltanet-tiny");
    StreamPtr stream = one_worker_stream();
    ModelPtr reference_model = load_model(stream.get(), dir);
    const std::vector<float> expected = run_sequence(stream.get(), reference_model.get(), 0);

    std::vector<std::vector<float>> results(kThreads);
    const std::vector<std::string> errors = on_threads(kThreads, [&](int i) {
        StreamPtr own = one_worker_stream();
        ModelPtr model = load_model(own.get(), dir);
        results[size_t(i)] = run_sequence(own.get(), model.get(), 0);
    });
    for (int i = 0; i < kThreads; ++i) {
        EXPECT_EQ(errors[size_t(i)], "") << "thread " << i;
        EXPECT_TRUE(bit_equal(results[size_t(i)], expected))
            << "thread " << i << ": rel L2 " << rel_l2(results[size_t(i)], expected);
    }
}

}  // namespace
