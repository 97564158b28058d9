// dn_state: clone, save/load, reset, position, batched decode — on each fixture (the hybrid one
// also exercises the attention layers' key/value ring).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

class StateTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        loaded_ = load(fixture_dir(GetParam()));
        // 70 tokens: past the hybrid's 32-token window and past one 64-token chunk.
        prompt_ = some_tokens(70, loaded_.vocab, 7);
        more_ = some_tokens(9, loaded_.vocab, 8);
    }

    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }
    size_t vocab() const { return size_t(loaded_.vocab); }

    // The same work on a state: a 5-token prefill then three single-token steps; all logits.
    std::vector<float> continue_with(dn_state *state) {
        std::vector<float> all =
            forward(stream(), model(), state, std::vector<int32_t>(more_.begin(), more_.begin() + 5), DN_LOGITS_ALL);
        for (size_t i = 5; i < 8; ++i) {
            const std::vector<float> row = step(stream(), model(), state, more_[i]);
            all.insert(all.end(), row.begin(), row.end());
        }
        return all;
    }

    Loaded loaded_;
    std::vector<int32_t> prompt_, more_;
};

std::string param_name(const ::testing::TestParamInfo<std::string> &info) {
    std::string name = info.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

TEST_P(StateTest, CloneIsBitExactAndIndependent) {
    StatePtr original = make_state(model());
    forward(stream(), model(), original.get(), prompt_, DN_LOGITS_NONE);
    step(stream(), model(), original.get(), more_[8]);
    StatePtr copy = clone_state(original.get());

    EXPECT_EQ(position(copy.get()), position(original.get()));
    EXPECT_TRUE(save_state(copy.get()) == save_state(original.get())) << "the clone's blob differs from the original's";

    const std::vector<float> a = continue_with(original.get());
    const std::vector<float> b = continue_with(copy.get());
    EXPECT_TRUE(bit_equal(a, b)) << "the same tokens gave different logits (rel L2 " << rel_l2(b, a) << ")";
    EXPECT_TRUE(save_state(copy.get()) == save_state(original.get())) << "blobs differ after the same tokens";

    // Independent: advancing the clone leaves the original where it was.
    const std::vector<unsigned char> before = save_state(original.get());
    step(stream(), model(), copy.get(), more_[0]);
    EXPECT_TRUE(save_state(original.get()) == before);
    EXPECT_EQ(position(copy.get()), position(original.get()) + 1);
}

// Freeing the model handle first is allowed: its states keep the model alive (ASan checks that no
// freed memory is touched) and can still be saved, loaded into, cloned, reset and freed.
TEST_P(StateTest, StatesOutliveTheirModelHandle) {
    Loaded other = load(fixture_dir(GetParam()));
    StatePtr state = make_state(other.model.get());
    forward(other.stream.get(), other.model.get(), state.get(), prompt_, DN_LOGITS_NONE);
    const std::vector<unsigned char> blob = save_state(state.get());
    other.model.reset();  // dn_model_free while the state lives

    EXPECT_TRUE(save_state(state.get()) == blob);
    StatePtr copy = clone_state(state.get());
    EXPECT_TRUE(save_state(copy.get()) == blob);
    EXPECT_EQ(dn_state_reset(state.get()), DN_OK);
    EXPECT_EQ(position(state.get()), 0);
    load_state(state.get(), blob);
    EXPECT_EQ(position(state.get()), int64_t(prompt_.size()));
    state.reset();
    EXPECT_TRUE(save_state(copy.get()) == blob);  // the last state still holds the model
}

TEST_P(StateTest, SaveLoadRoundTripIsBitExact) {
    StatePtr original = make_state(model());
    forward(stream(), model(), original.get(), prompt_, DN_LOGITS_LAST);
    const std::vector<unsigned char> blob = save_state(original.get());

    StatePtr restored = make_state(model());
    load_state(restored.get(), blob);
    EXPECT_EQ(position(restored.get()), int64_t(prompt_.size()));
    EXPECT_TRUE(save_state(restored.get()) == blob) << "save(load(blob)) != blob";

    const std::vector<float> a = continue_with(original.get());
    const std::vector<float> b = continue_with(restored.get());
    EXPECT_TRUE(bit_equal(a, b)) << "a restored state continues differently (rel L2 " << rel_l2(b, a) << ")";
    EXPECT_TRUE(save_state(restored.get()) == save_state(original.get()));

    // Loading over a state that has seen other tokens replaces it entirely.
    StatePtr busy = make_state(model());
    forward(stream(), model(), busy.get(), more_, DN_LOGITS_NONE);
    load_state(busy.get(), blob);
    EXPECT_EQ(position(busy.get()), int64_t(prompt_.size()));
    EXPECT_TRUE(save_state(busy.get()) == blob);
}

TEST_P(StateTest, ResetEqualsFreshState) {
    StatePtr fresh = make_state(model());
    const std::vector<unsigned char> fresh_blob = save_state(fresh.get());

    StatePtr used = make_state(model());
    forward(stream(), model(), used.get(), prompt_, DN_LOGITS_NONE);
    ASSERT_DN_OK(dn_state_reset(used.get()));
    EXPECT_EQ(position(used.get()), 0);
    EXPECT_TRUE(save_state(used.get()) == fresh_blob) << "a reset state's blob differs from a new state's";

    const std::vector<float> a = forward(stream(), model(), fresh.get(), prompt_, DN_LOGITS_ALL);
    const std::vector<float> b = forward(stream(), model(), used.get(), prompt_, DN_LOGITS_ALL);
    EXPECT_TRUE(bit_equal(a, b)) << "a reset state gives other logits than a new one (rel L2 " << rel_l2(b, a) << ")";
}

TEST_P(StateTest, LogitsModeDoesNotChangeTheState) {
    StatePtr none = make_state(model()), last = make_state(model()), all = make_state(model());
    forward(stream(), model(), none.get(), prompt_, DN_LOGITS_NONE);
    forward(stream(), model(), last.get(), prompt_, DN_LOGITS_LAST);
    const std::vector<float> every = forward(stream(), model(), all.get(), prompt_, DN_LOGITS_ALL);
    EXPECT_TRUE(save_state(none.get()) == save_state(last.get()));
    EXPECT_TRUE(save_state(none.get()) == save_state(all.get()));

    // DN_LOGITS_LAST is the last row of DN_LOGITS_ALL.
    StatePtr again = make_state(model());
    const std::vector<float> last_row = forward(stream(), model(), again.get(), prompt_, DN_LOGITS_LAST);
    EXPECT_LT(rel_l2(last_row.data(), every.data() + every.size() - vocab(), vocab()), 1e-6);
}

TEST_P(StateTest, PositionAdvances) {
    StatePtr state = make_state(model());
    EXPECT_EQ(position(state.get()), 0);
    forward(stream(), model(), state.get(), std::vector<int32_t>(prompt_.begin(), prompt_.begin() + 7), DN_LOGITS_ALL);
    EXPECT_EQ(position(state.get()), 7);
    step(stream(), model(), state.get(), more_[0]);
    EXPECT_EQ(position(state.get()), 8);
    forward(stream(), model(), state.get(), std::vector<int32_t>(prompt_.begin(), prompt_.begin() + 5), DN_LOGITS_NONE);
    EXPECT_EQ(position(state.get()), 13);

    StatePtr other = make_state(model());
    dn_state *states[2] = {state.get(), other.get()};
    const int32_t tokens[2] = {more_[1], more_[2]};
    std::vector<float> logits(2 * vocab());
    ASSERT_DN_OK(dn_decode_batch(stream(), model(), states, tokens, 2, logits.data(), logits.size()));
    EXPECT_EQ(position(state.get()), 14);
    EXPECT_EQ(position(other.get()), 1);

    StatePtr copy = clone_state(state.get());
    EXPECT_EQ(position(copy.get()), 14);
    const std::vector<unsigned char> blob = save_state(state.get());
    ASSERT_DN_OK(dn_state_reset(state.get()));
    EXPECT_EQ(position(state.get()), 0);
    EXPECT_EQ(position(copy.get()), 14);
    load_state(state.get(), blob);
    EXPECT_EQ(position(state.get()), 14);
}

// dn_decode_batch of three states with different histories equals three dn_forward calls.
TEST_P(StateTest, DecodeBatchEqualsSingleForwards) {
    constexpr size_t kBatch = 3;
    const size_t lengths[kBatch] = {10, 45, 70};
    StatePtr batched[kBatch], single[kBatch];
    for (size_t i = 0; i < kBatch; ++i) {
        batched[i] = make_state(model());
        forward(stream(), model(), batched[i].get(), std::vector<int32_t>(prompt_.begin(), prompt_.begin() + lengths[i]),
                DN_LOGITS_NONE);
        single[i] = clone_state(batched[i].get());
    }
    dn_state *handles[kBatch] = {batched[0].get(), batched[1].get(), batched[2].get()};

    bool all_bit_exact = true;
    for (size_t round = 0; round < 3; ++round) {  // three tokens each
        const int32_t tokens[kBatch] = {more_[3 * round], more_[3 * round + 1], more_[3 * round + 2]};
        std::vector<float> logits(kBatch * vocab(), -1.0f);
        ASSERT_DN_OK(dn_decode_batch(stream(), model(), handles, tokens, kBatch, logits.data(), logits.size()));
        for (size_t i = 0; i < kBatch; ++i) {
            const std::vector<float> expected = step(stream(), model(), single[i].get(), tokens[i]);
            const std::vector<float> got(logits.begin() + long(i * vocab()), logits.begin() + long((i + 1) * vocab()));
            all_bit_exact = all_bit_exact && bit_equal(got, expected);
            EXPECT_LE(rel_l2(got, expected), 1e-6) << "round " << round << ", sequence " << i;
            EXPECT_EQ(position(batched[i].get()), position(single[i].get()));
        }
    }
    report(GetParam() + " decode_batch_bit_exact", all_bit_exact ? 1 : 0);

    // The states after: identical blobs when the logits were bit-identical; otherwise they must at
    // least continue within the same tolerance.
    for (size_t i = 0; i < kBatch; ++i) {
        const std::vector<unsigned char> a = save_state(batched[i].get()), b = save_state(single[i].get());
        ASSERT_EQ(a.size(), b.size());
        if (all_bit_exact) {
            EXPECT_TRUE(a == b) << "sequence " << i << ": the batched state's blob differs from the single one's";
        } else {
            const std::vector<float> x = continue_with(batched[i].get()), y = continue_with(single[i].get());
            EXPECT_LE(rel_l2(x, y), 1e-6) << "sequence " << i << ": states after batched vs single decode";
        }
    }
}

TEST_P(StateTest, SaveIntoTooSmallBufferWritesNothing) {
    StatePtr state = make_state(model());
    forward(stream(), model(), state.get(), prompt_, DN_LOGITS_NONE);
    size_t size = 0;
    ASSERT_DN_OK(dn_state_save_size(state.get(), &size));
    ASSERT_GT(size, 0u);

    for (size_t capacity : {size_t(0), size_t(1), size / 2, size - 1}) {
        std::vector<unsigned char> buffer(size, 0xAB);
        size_t written = 12345;
        EXPECT_DN_ERROR(dn_state_save(state.get(), buffer.data(), capacity, &written), DN_ERR_BUFFER_TOO_SMALL)
            << "capacity " << capacity;
        EXPECT_TRUE(std::all_of(buffer.begin(), buffer.end(), [](unsigned char c) { return c == 0xAB; }))
            << "capacity " << capacity << ": bytes were written";
        EXPECT_EQ(written, 12345u) << "capacity " << capacity << ": *out_written changed";
    }
    // Exactly the size works, and a larger buffer too (with out_written NULL allowed).
    std::vector<unsigned char> exact(size), larger(size + 16, 0xCD);
    size_t written = 0;
    ASSERT_DN_OK(dn_state_save(state.get(), exact.data(), exact.size(), &written));
    EXPECT_EQ(written, size);
    ASSERT_DN_OK(dn_state_save(state.get(), larger.data(), larger.size(), nullptr));
    EXPECT_EQ(0, std::memcmp(exact.data(), larger.data(), size));
    EXPECT_TRUE(std::all_of(larger.begin() + long(size), larger.end(), [](unsigned char c) { return c == 0xCD; }));
}

INSTANTIATE_TEST_SUITE_P(Fla, StateTest,
                         ::testing::Values("deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"),
                         param_name);

}  // namespace
