// NULL for each required pointer or handle of each API function: DN_ERR_NULL_ARGUMENT naming the
// argument, outputs untouched. Freeing or destroying NULL is DN_OK.
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

class NullArguments : public ::testing::Test {
protected:
    void SetUp() override {
        loaded_ = load(fixture_dir("deltanet-tiny"));
        state_ = make_state(model());
        dir_ = fixture_dir("deltanet-tiny").string();
    }
    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }
    dn_state *state() { return state_.get(); }

    Loaded loaded_;
    StatePtr state_;
    std::string dir_;
};

TEST_F(NullArguments, FreeingNullIsOk) {
    EXPECT_EQ(dn_stream_destroy(nullptr), DN_OK);
    EXPECT_EQ(dn_model_free(nullptr), DN_OK);
    EXPECT_EQ(dn_state_free(nullptr), DN_OK);
    EXPECT_STREQ(dn_last_error(), "");
}

TEST_F(NullArguments, OptionsInit) {
    EXPECT_DN_ERROR(dn_stream_options_init(nullptr), DN_ERR_NULL_ARGUMENT, "options");
    EXPECT_DN_ERROR(dn_model_options_init(nullptr), DN_ERR_NULL_ARGUMENT, "options");
    EXPECT_DN_ERROR(dn_state_options_init(nullptr), DN_ERR_NULL_ARGUMENT, "options");
}

TEST_F(NullArguments, Streams) {
    dn_stream *out = nullptr;
    EXPECT_DN_ERROR(dn_stream_create(nullptr, nullptr, &out), DN_ERR_NULL_ARGUMENT, "device");
    EXPECT_EQ(out, nullptr);
    EXPECT_DN_ERROR(dn_stream_create("cpu", nullptr, nullptr), DN_ERR_NULL_ARGUMENT, "out_stream");
    EXPECT_DN_ERROR(dn_stream_synchronize(nullptr), DN_ERR_NULL_ARGUMENT, "stream");
    const char *device = "untouched";
    EXPECT_DN_ERROR(dn_stream_device(nullptr, &device), DN_ERR_NULL_ARGUMENT, "stream");
    EXPECT_STREQ(device, "untouched");
    EXPECT_DN_ERROR(dn_stream_device(stream(), nullptr), DN_ERR_NULL_ARGUMENT, "out_device");
}

TEST_F(NullArguments, ModelLoad) {
    dn_model *out = nullptr;
    EXPECT_DN_ERROR(dn_model_load(nullptr, dir_.c_str(), nullptr, &out), DN_ERR_NULL_ARGUMENT, "stream");
    EXPECT_DN_ERROR(dn_model_load(stream(), nullptr, nullptr, &out), DN_ERR_NULL_ARGUMENT, "path");
    EXPECT_EQ(out, nullptr);
    EXPECT_DN_ERROR(dn_model_load(stream(), dir_.c_str(), nullptr, nullptr), DN_ERR_NULL_ARGUMENT, "out_model");
}

TEST_F(NullArguments, ModelGetters) {
    int32_t i32 = -7;
    uint64_t u64 = 7;
    dn_family family = DN_FAMILY_GATED_DELTANET;
    dn_dtype dtype = DN_DTYPE_F16;
    EXPECT_DN_ERROR(dn_model_family(nullptr, &family), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_family(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_family");
    EXPECT_DN_ERROR(dn_model_vocab_size(nullptr, &i32), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_vocab_size(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_vocab_size");
    EXPECT_DN_ERROR(dn_model_num_layers(nullptr, &i32), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_num_layers(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_num_layers");
    EXPECT_DN_ERROR(dn_model_hidden_size(nullptr, &i32), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_hidden_size(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_hidden_size");
    EXPECT_DN_ERROR(dn_model_num_attention_layers(nullptr, &i32), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_num_attention_layers(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_count");
    EXPECT_DN_ERROR(dn_model_weight_dtype(nullptr, &dtype), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_weight_dtype(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_dtype");
    EXPECT_DN_ERROR(dn_model_weight_bytes(nullptr, &u64), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_weight_bytes(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_bytes");
    EXPECT_DN_ERROR(dn_model_num_params(nullptr, &u64), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_num_params(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_params");
    EXPECT_DN_ERROR(dn_model_state_bytes(nullptr, &u64), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_state_bytes(model(), nullptr), DN_ERR_NULL_ARGUMENT, "out_bytes");
    int32_t bos = -7, eos = -7;
    EXPECT_DN_ERROR(dn_model_special_tokens(nullptr, &bos, &eos), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_model_special_tokens(model(), nullptr, &eos), DN_ERR_NULL_ARGUMENT, "out_bos");
    EXPECT_DN_ERROR(dn_model_special_tokens(model(), &bos, nullptr), DN_ERR_NULL_ARGUMENT, "out_eos");
    // Outputs untouched by the failed calls.
    EXPECT_EQ(i32, -7);
    EXPECT_EQ(u64, 7u);
    EXPECT_EQ(family, DN_FAMILY_GATED_DELTANET);
    EXPECT_EQ(dtype, DN_DTYPE_F16);
    EXPECT_EQ(bos, -7);
    EXPECT_EQ(eos, -7);
}

TEST_F(NullArguments, States) {
    dn_state *out = nullptr;
    EXPECT_DN_ERROR(dn_state_create(nullptr, nullptr, &out), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_state_create(model(), nullptr, nullptr), DN_ERR_NULL_ARGUMENT, "out_state");
    EXPECT_DN_ERROR(dn_state_reset(nullptr), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_clone(nullptr, &out), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_clone(state(), nullptr), DN_ERR_NULL_ARGUMENT, "out_state");
    EXPECT_EQ(out, nullptr);

    int64_t pos = -7;
    EXPECT_DN_ERROR(dn_state_position(nullptr, &pos), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_position(state(), nullptr), DN_ERR_NULL_ARGUMENT, "out_position");
    EXPECT_EQ(pos, -7);

    size_t size = 7;
    EXPECT_DN_ERROR(dn_state_save_size(nullptr, &size), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_save_size(state(), nullptr), DN_ERR_NULL_ARGUMENT, "out_size");
    EXPECT_EQ(size, 7u);

    const std::vector<unsigned char> blob = save_state(state());
    std::vector<unsigned char> buffer(blob.size());
    size_t written = 7;
    EXPECT_DN_ERROR(dn_state_save(nullptr, buffer.data(), buffer.size(), &written), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_save(state(), nullptr, buffer.size(), &written), DN_ERR_NULL_ARGUMENT, "buffer");
    EXPECT_EQ(written, 7u);
    EXPECT_DN_ERROR(dn_state_load(nullptr, blob.data(), blob.size()), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_state_load(state(), nullptr, blob.size()), DN_ERR_NULL_ARGUMENT, "buffer");
    EXPECT_EQ(position(state()), 0);
}

TEST_F(NullArguments, Forward) {
    const size_t V = size_t(loaded_.vocab);
    std::vector<float> logits(V, -1.0f);
    const int32_t token = 1;
    EXPECT_DN_ERROR(dn_forward(nullptr, model(), state(), &token, 1, DN_LOGITS_LAST, logits.data(), V),
                    DN_ERR_NULL_ARGUMENT, "stream");
    EXPECT_DN_ERROR(dn_forward(stream(), nullptr, state(), &token, 1, DN_LOGITS_LAST, logits.data(), V),
                    DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_forward(stream(), model(), nullptr, &token, 1, DN_LOGITS_LAST, logits.data(), V),
                    DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), nullptr, 1, DN_LOGITS_LAST, logits.data(), V),
                    DN_ERR_NULL_ARGUMENT, "tokens");
    EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), &token, 1, DN_LOGITS_LAST, nullptr, V),
                    DN_ERR_NULL_ARGUMENT, "logits");
    EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), &token, 1, DN_LOGITS_ALL, nullptr, V),
                    DN_ERR_NULL_ARGUMENT, "logits");
    EXPECT_EQ(position(state()), 0);
    // DN_LOGITS_NONE: logits may be NULL.
    EXPECT_DN_OK(dn_forward(stream(), model(), state(), &token, 1, DN_LOGITS_NONE, nullptr, 0));
    EXPECT_EQ(position(state()), 1);
}

TEST_F(NullArguments, DecodeBatch) {
    const size_t V = size_t(loaded_.vocab);
    StatePtr other = make_state(model());
    std::vector<float> logits(2 * V, -1.0f);
    const int32_t tokens[2] = {1, 2};
    dn_state *states[2] = {state(), other.get()};
    dn_state *with_null[2] = {state(), nullptr};
    EXPECT_DN_ERROR(dn_decode_batch(nullptr, model(), states, tokens, 2, logits.data(), 2 * V), DN_ERR_NULL_ARGUMENT,
                    "stream");
    EXPECT_DN_ERROR(dn_decode_batch(stream(), nullptr, states, tokens, 2, logits.data(), 2 * V), DN_ERR_NULL_ARGUMENT,
                    "model");
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), nullptr, tokens, 2, logits.data(), 2 * V), DN_ERR_NULL_ARGUMENT,
                    "states");
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), with_null, tokens, 2, logits.data(), 2 * V),
                    DN_ERR_NULL_ARGUMENT, "states[1]");
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, nullptr, 2, logits.data(), 2 * V), DN_ERR_NULL_ARGUMENT,
                    "tokens");
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, tokens, 2, nullptr, 2 * V), DN_ERR_NULL_ARGUMENT,
                    "logits");
    EXPECT_EQ(position(state()), 0);
    EXPECT_EQ(position(other.get()), 0);
}

}  // namespace
