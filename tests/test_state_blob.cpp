// State blobs that must be refused by dn_state_load, leaving the target state unchanged: another
// model's (DN_ERR_STATE_MISMATCH), damaged or truncated ones (DN_ERR_STATE_CORRUPT).
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

class StateBlob : public ::testing::Test {
protected:
    void SetUp() override {
        loaded_ = load(fixture_dir("deltanet-tiny"));
        // The source of the blobs: 40 tokens seen.
        source_ = make_state(model());
        forward(stream(), model(), source_.get(), some_tokens(40, loaded_.vocab, 21), DN_LOGITS_NONE);
        blob_ = save_state(source_.get());
        // The target: a different history (11 tokens), which failed loads must leave alone.
        target_ = make_state(model());
        forward(stream(), model(), target_.get(), some_tokens(11, loaded_.vocab, 22), DN_LOGITS_NONE);
        target_blob_ = save_state(target_.get());
    }

    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }

    void expect_target_unchanged(const std::string &context) {
        EXPECT_EQ(position(target_.get()), 11) << context;
        EXPECT_TRUE(save_state(target_.get()) == target_blob_) << context << ": the target state changed";
    }

    Loaded loaded_;
    StatePtr source_, target_;
    std::vector<unsigned char> blob_, target_blob_;
};

TEST_F(StateBlob, IntactBlobLoads) {
    load_state(target_.get(), blob_);
    EXPECT_EQ(position(target_.get()), 40);
    EXPECT_TRUE(save_state(target_.get()) == blob_);
}

TEST_F(StateBlob, BlobOfAnotherModel) {
    Loaded gated = load(fixture_dir("gated-deltanet-tiny"));
    StatePtr gated_state = make_state(gated.model.get());
    forward(gated.stream.get(), gated.model.get(), gated_state.get(), some_tokens(5, gated.vocab, 1), DN_LOGITS_NONE);
    const std::vector<unsigned char> gated_before = save_state(gated_state.get());

    // deltanet-tiny's state into gated-deltanet-tiny's.
    EXPECT_DN_ERROR(dn_state_load(gated_state.get(), blob_.data(), blob_.size()), DN_ERR_STATE_MISMATCH, "model");
    EXPECT_EQ(position(gated_state.get()), 5);
    EXPECT_TRUE(save_state(gated_state.get()) == gated_before);

    // And the other way round.
    EXPECT_DN_ERROR(dn_state_load(target_.get(), gated_before.data(), gated_before.size()), DN_ERR_STATE_MISMATCH,
                    "model");
    expect_target_unchanged("gated blob into deltanet state");

    // Same architecture, other weights: the hybrid fixture's delta-rule layers have the shapes of
    // deltanet-tiny's, but it is another model.
    Loaded hybrid = load(fixture_dir("deltanet-hybrid-tiny"));
    StatePtr hybrid_state = make_state(hybrid.model.get());
    const std::vector<unsigned char> hybrid_blob = save_state(hybrid_state.get());
    EXPECT_DN_ERROR(dn_state_load(target_.get(), hybrid_blob.data(), hybrid_blob.size()), DN_ERR_STATE_MISMATCH);
    expect_target_unchanged("hybrid blob into deltanet state");
}

// One flipped byte anywhere is detected. In the first 64 bytes (where a header may hold the model
// fingerprint) DN_ERR_STATE_MISMATCH is accepted too; in the payload only DN_ERR_STATE_CORRUPT.
TEST_F(StateBlob, FlippedByteIsDetected) {
    const size_t n = blob_.size();
    ASSERT_GT(n, 4096u);
    std::vector<size_t> header_positions, payload_positions = {n / 2, n / 2 + 1, (3 * n) / 4, n - 4, n - 1};
    for (size_t i = 0; i < 64; ++i) header_positions.push_back(i);
    for (size_t i = 64; i < n / 2; i += 997) payload_positions.push_back(i);

    for (bool header : {true, false}) {
        for (size_t pos : header ? header_positions : payload_positions) {
            for (unsigned char mask : {0x01, 0x80}) {
                std::vector<unsigned char> bad = blob_;
                bad[pos] ^= mask;
                const std::string context = "byte " + std::to_string(pos) + " of " + std::to_string(n) + " ^ " +
                                            std::to_string(int(mask));
                const dn_status status = dn_state_load(target_.get(), bad.data(), bad.size());
                if (header && status == DN_ERR_STATE_MISMATCH)
                    EXPECT_DN_ERROR(status, DN_ERR_STATE_MISMATCH) << context;
                else
                    EXPECT_DN_ERROR(status, DN_ERR_STATE_CORRUPT) << context;
                expect_target_unchanged(context);
                if (status == DN_OK) load_state(target_.get(), target_blob_);  // no cascade of failures
            }
        }
    }
}

TEST_F(StateBlob, TruncatedOrExtendedBlob) {
    const size_t n = blob_.size();
    for (size_t size : {size_t(0), size_t(1), size_t(8), size_t(63), size_t(64), size_t(65), n / 2, n - 4, n - 1}) {
        EXPECT_DN_ERROR(dn_state_load(target_.get(), blob_.data(), size), DN_ERR_STATE_CORRUPT)
            << "the first " << size << " of " << n << " bytes";
        expect_target_unchanged("truncated to " + std::to_string(size));
    }
    std::vector<unsigned char> longer = blob_;
    longer.resize(n + 4, 0);
    EXPECT_DN_ERROR(dn_state_load(target_.get(), longer.data(), longer.size()), DN_ERR_STATE_CORRUPT)
        << "4 extra bytes";
    expect_target_unchanged("extended");
}

TEST_F(StateBlob, NotABlobAtAll) {
    std::vector<unsigned char> zeros(blob_.size(), 0), text(blob_.size(), 'x');
    EXPECT_DN_ERROR(dn_state_load(target_.get(), zeros.data(), zeros.size()), DN_ERR_STATE_CORRUPT);
    expect_target_unchanged("zeros");
    EXPECT_DN_ERROR(dn_state_load(target_.get(), text.data(), text.size()), DN_ERR_STATE_CORRUPT);
    expect_target_unchanged("text");
}

}  // namespace
