// Allocation-failure injection on the load and state paths: each operation runs again and again with
// its 1st, 2nd, 3rd, ... allocation failing (tests/oom/failing_new.h) until it completes without
// reaching the failing one. Every failed run must return DN_ERR_OUT_OF_MEMORY, leave its output
// pointer alone and the objects it was given unchanged, and leave the handles made before it working
// (the same logits, the same ids). The sanitizer build runs this too: LeakSanitizer then checks that
// no failed run leaked.
#include <string>
#include <vector>

#include "fuzz/tiny_model.h"
#include "oom/failing_new.h"
#include "support/dn_test.h"

namespace {

using namespace dntest;

// A small byte-level BPE tokenizer with a normalizer, a split pattern, merges and a special token.
const char *const kTokenizer = R"({
  "version": "1.0",
  "added_tokens": [{"id": 0, "content": "<|end|>", "special": true, "single_word": false,
                    "lstrip": false, "rstrip": false, "normalized": false}],
  "normalizer": {"type": "NFC"},
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": {"<|end|>": 0, "t": 1, "h": 2, "e": 3, "a": 4, "n": 5, "d": 6,
                                     "\u0120": 7, "th": 8, "the": 9, "\u0120the": 10, "an": 11, "and": 12},
            "merges": ["t h", "th e", "\u0120 the", "a n", "an d"]}
})";
const std::string kText = "the and then<|end|> the";

class AllocationFailure : public ::testing::Test {
protected:
    void SetUp() override {
        dnfuzz::write_tiny_model((tmp_ / "model").string());
        write_bytes(tmp_ / "tokenizer.json", kTokenizer);
        stream_ = one_worker_stream();  // all the library's allocations on this thread
        model_ = load_model(stream_.get(), tmp_ / "model");
        state_ = make_state(model_.get());
        forward(stream_.get(), model_.get(), state_.get(), {3, 7, 11}, DN_LOGITS_NONE);
        blob_ = save_state(state_.get());
        logits_ = probe();
        dn_tokenizer *tokenizer = nullptr;
        ASSERT_DN_OK(dn_tokenizer_load((tmp_ / "tokenizer.json").string().c_str(), &tokenizer));
        tokenizer_.reset(tokenizer);
        ids_ = encode();
        ASSERT_FALSE(ids_.empty());
    }

    // One decode step on a clone of the earlier state: what the earlier handles compute.
    std::vector<float> probe() {
        StatePtr clone = clone_state(state_.get());
        return step(stream_.get(), model_.get(), clone.get(), 5);
    }
    std::vector<int32_t> encode() {
        std::vector<int32_t> ids(64);
        size_t n = 0;
        EXPECT_DN_OK(dn_tokenizer_encode(tokenizer_.get(), kText.data(), kText.size(), DN_ENCODE_PARSE_SPECIAL,
                                         ids.data(), ids.size(), &n));
        ids.resize(n);
        return ids;
    }

    // Runs `op` (the library call alone: anything else it allocated would be counted too) with its
    // 1st, 2nd, ... allocation failing until it completes without reaching the failing one; after
    // each run, `after(status)` cleans up and checks, and the earlier handles are checked. Returns
    // the number of allocations failed in turn (the op's allocation points on this path).
    template <typename Op, typename After>
    long fail_each_allocation(const std::string &what, Op op, After after) {
        for (long n = 1;; ++n) {
            fail_allocation(n);
            const dn_status status = op();
            const bool failed_one = stop_failing();
            const std::string message = dn_last_error();
            after(status);
            if (!failed_one) {
                EXPECT_EQ(status, DN_OK) << what << " with no allocation failing: " << message;
                report(what + " allocations", double(n - 1));
                return n - 1;
            }
            // DN_OK is fine too where the library had a way around the failure.
            if (status != DN_OK) {
                EXPECT_EQ(status, DN_ERR_OUT_OF_MEMORY) << what << ", allocation " << n << ": " << message;
            }
            EXPECT_TRUE(save_state(state_.get()) == blob_) << what << ", allocation " << n << ": the earlier state changed";
            EXPECT_TRUE(bit_equal(probe(), logits_)) << what << ", allocation " << n << ": the earlier model changed";
            EXPECT_EQ(encode(), ids_) << what << ", allocation " << n << ": the earlier tokenizer changed";
            if (HasFailure()) return n;
        }
    }

    TempDir tmp_;
    StreamPtr stream_;
    ModelPtr model_;
    StatePtr state_;
    std::unique_ptr<dn_tokenizer, decltype(&dn_tokenizer_free)> tokenizer_{nullptr, dn_tokenizer_free};
    std::vector<unsigned char> blob_;
    std::vector<float> logits_;
    std::vector<int32_t> ids_;
};

TEST_F(AllocationFailure, ModelLoad) {
    for (dn_weight_memory weights : {DN_WEIGHTS_COPY, DN_WEIGHTS_MAPPED}) {
        dn_model_options options;
        ASSERT_DN_OK(dn_model_options_init(&options));
        options.weights = weights;
        const std::string path = (tmp_ / "model").string();
        dn_model *model = nullptr;
        const long points = fail_each_allocation(
            weights == DN_WEIGHTS_COPY ? "dn_model_load" : "dn_model_load (mapped)",
            [&] { return dn_model_load(stream_.get(), path.c_str(), &options, &model); },
            [&](dn_status status) {
                if (status != DN_OK) {
                    EXPECT_EQ(model, nullptr) << "a failed load wrote *out_model";
                }
                dn_model_free(model);
                model = nullptr;
            });
        EXPECT_GT(points, 100);
    }
}

TEST_F(AllocationFailure, TokenizerLoad) {
    const std::string path = (tmp_ / "tokenizer.json").string();
    dn_tokenizer *tokenizer = nullptr;
    const long points = fail_each_allocation(
        "dn_tokenizer_load", [&] { return dn_tokenizer_load(path.c_str(), &tokenizer); },
        [&](dn_status status) {
            if (status != DN_OK) {
                EXPECT_EQ(tokenizer, nullptr) << "a failed load wrote *out_tokenizer";
            }
            dn_tokenizer_free(tokenizer);
            tokenizer = nullptr;
        });
    EXPECT_GT(points, 100);
}

TEST_F(AllocationFailure, StateCreateAndClone) {
    dn_state *state = nullptr;
    auto free_state = [&](dn_status status) {
        if (status != DN_OK) {
            EXPECT_EQ(state, nullptr) << "a failed call wrote *out_state";
        }
        dn_state_free(state);
        state = nullptr;
    };
    const long create =
        fail_each_allocation("dn_state_create", [&] { return dn_state_create(model_.get(), nullptr, &state); }, free_state);
    const long clone =
        fail_each_allocation("dn_state_clone", [&] { return dn_state_clone(state_.get(), &state); }, free_state);
    EXPECT_GE(create, 2);
    EXPECT_GE(clone, 2);
}

TEST_F(AllocationFailure, StateSaveAndLoad) {
    StatePtr other = make_state(model_.get());
    forward(stream_.get(), model_.get(), other.get(), {1, 2}, DN_LOGITS_NONE);
    const std::vector<unsigned char> other_blob = save_state(other.get());
    std::vector<unsigned char> blob(blob_.size());
    fail_each_allocation(
        "dn_state_save", [&] { return dn_state_save(other.get(), blob.data(), blob.size(), nullptr); },
        [&](dn_status status) {
            if (status == DN_OK) {
                EXPECT_TRUE(blob == other_blob);
            }
        });
    // Loading the earlier state's blob into `other`: a failed load leaves `other` as it was.
    const long load = fail_each_allocation(
        "dn_state_load", [&] { return dn_state_load(other.get(), blob_.data(), blob_.size()); },
        [&](dn_status status) {
            if (status != DN_OK) {
                EXPECT_TRUE(save_state(other.get()) == other_blob) << "a failed load changed the state";
            }
            else load_state(other.get(), other_blob);
        });
    EXPECT_GE(load, 1);
}

}  // namespace
