#include "model/state.h"

#include <cstring>
#include <limits>

#include "core/checksum.h"
#include "core/error.h"

namespace dn {

namespace {

// Blob layout, little-endian:
//   0  char[8]  magic "DNSTATE\0"
//   8  u32      format version (1)
//  12  u32      header bytes (64)
//  16  u64      model fingerprint
//  24  u64      layout hash (shapes and cache capacities)
//  32  i64      position
//  40  u64      payload bytes
//  48  u64      FNV-1a of bytes [0, 48), [56, 64) and of the payload
//  56  u64      reserved (0; covered by the checksum so that no header byte goes unchecked)
//  64  payload: the state's floats
constexpr char kMagic[8] = {'D', 'N', 'S', 'T', 'A', 'T', 'E', '\0'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;

struct BlobHeader {
    char magic[8];
    uint32_t version;
    uint32_t header_bytes;
    uint64_t fingerprint;
    uint64_t layout_hash;
    int64_t position;
    uint64_t payload_bytes;
    uint64_t checksum;
    uint64_t reserved;
};
static_assert(sizeof(BlobHeader) == kHeaderBytes);

uint64_t blob_checksum(const BlobHeader &h, const void *payload) {
    uint64_t sum = fnv1a64(&h, offsetof(BlobHeader, checksum));
    sum = fnv1a64(&h.reserved, sizeof h.reserved, sum);
    return fnv1a64(payload, h.payload_bytes, sum);
}

int64_t ring_capacity(const AttentionConfig &a, int64_t max_context) {
    return a.window_size ? a.window_size : max_context;
}

}  // namespace

uint64_t State::bytes_for(const ModelConfig &c, int64_t max_context) {
    if (max_context <= 0) max_context = c.max_position_embeddings;
    // Saturating: a config may ask for more than 2^64 bytes (a huge context on many layers); the
    // allocation of UINT64_MAX then fails cleanly instead of a wrapped, too small size being used.
    uint64_t floats = 0;
    auto add = [&floats](uint64_t a, uint64_t b, uint64_t c) {
        uint64_t n = 0;
        if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) || __builtin_add_overflow(floats, n, &floats))
            floats = UINT64_MAX;
    };
    for (int i = 0; i < c.num_layers; ++i) {
        if (c.is_attention_layer(i)) {
            const auto &a = *c.attention[size_t(i)];
            add(2, uint64_t(ring_capacity(a, max_context)), uint64_t(a.num_kv_heads) * uint64_t(a.head_dim));
        } else {
            add(uint64_t(c.num_v_heads), uint64_t(c.head_v_dim), uint64_t(c.head_k_dim));
            if (c.use_short_conv) add(uint64_t(c.conv_size - 1), uint64_t(2 * c.key_dim + c.value_dim), 1);
        }
    }
    return floats > UINT64_MAX / sizeof(float) ? UINT64_MAX : floats * sizeof(float);
}

State::State(const Model &model, int64_t max_context) : model_(&model) {
    layers_.resize(size_t(model.config().num_layers));  // before the buffer: layout() then cannot throw
    max_context_ = max_context > 0 ? max_context : model.config().max_position_embeddings;
    const uint64_t bytes = bytes_for(model.config(), max_context_);
    if (bytes > (uint64_t(1) << 48))  // more than any machine has: refuse before asking the allocator
        fail(DN_ERR_OUT_OF_MEMORY, "a state of this model with a ", max_context_, "-token context needs ", bytes,
             " bytes");
    floats_ = size_t(bytes / sizeof(float));
    buffer_ = model.backend().alloc(floats_);
    model.backend().zero(buffer_, floats_);
    layout();
}

State::State(const State &other)
    : model_(other.model_), max_context_(other.max_context_), floats_(other.floats_), layers_(other.layers_.size()) {
    buffer_ = model_->backend().alloc(floats_);
    model_->backend().copy(buffer_, other.buffer_, floats_);
    position_ = other.position_;
    layout();
}

State::~State() { model_->backend().release(buffer_); }

void State::layout() {
    const ModelConfig &c = model_->config();
    layers_.assign(size_t(c.num_layers), LayerState{});
    float *p = buffer_;
    for (int i = 0; i < c.num_layers; ++i) {
        LayerState &L = layers_[size_t(i)];
        if (c.is_attention_layer(i)) {
            const auto &a = *c.attention[size_t(i)];
            const int64_t kv = int64_t(a.num_kv_heads) * a.head_dim;
            L.capacity = ring_capacity(a, max_context_);
            L.k_cache = p; p += L.capacity * kv;
            L.v_cache = p; p += L.capacity * kv;
        } else {
            L.S = p; p += int64_t(c.num_v_heads) * c.head_v_dim * c.head_k_dim;
            if (c.use_short_conv) {
                const int64_t w = c.conv_size - 1;
                L.q_tail = p; p += w * c.key_dim;
                L.k_tail = p; p += w * c.key_dim;
                L.v_tail = p; p += w * c.value_dim;
            }
        }
    }
}

int64_t State::room() const {
    const ModelConfig &c = model_->config();
    for (int i = 0; i < c.num_layers; ++i)
        if (c.is_attention_layer(i) && c.attention[size_t(i)]->window_size == 0) return max_context_ - position_;
    return std::numeric_limits<int64_t>::max();
}

void State::reset() {
    model_->backend().zero(buffer_, floats_);
    position_ = 0;
}

uint64_t State::layout_hash() const {
    return fnv1a64(cat(model_->config().canonical(), ";ctx=", max_context_, ";floats=", floats_));
}

size_t State::blob_size() const { return kHeaderBytes + floats_ * sizeof(float); }

void State::save(void *buffer) const {
    BlobHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kVersion;
    h.header_bytes = kHeaderBytes;
    h.fingerprint = model_->fingerprint();
    h.layout_hash = layout_hash();
    h.position = position_;
    h.payload_bytes = floats_ * sizeof(float);
    auto *out = static_cast<unsigned char *>(buffer);
    model_->backend().download(reinterpret_cast<float *>(out + kHeaderBytes), buffer_, floats_);
    h.checksum = blob_checksum(h, out + kHeaderBytes);
    std::memcpy(out, &h, sizeof h);
}

void State::load(const void *blob, size_t size) {
    if (size < kHeaderBytes) fail(DN_ERR_STATE_CORRUPT, "state blob is ", size, " bytes, shorter than its header");
    BlobHeader h;
    std::memcpy(&h, blob, sizeof h);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
        fail(DN_ERR_STATE_CORRUPT, "not a libdeltanet state blob (bad magic)");
    if (h.version != kVersion || h.header_bytes != kHeaderBytes)
        fail(DN_ERR_STATE_CORRUPT, "state blob format version ", h.version, " is not the supported ", kVersion);
    if (h.reserved != 0) fail(DN_ERR_STATE_CORRUPT, "state blob has a non-zero reserved header field");
    if (h.payload_bytes != size - kHeaderBytes)
        fail(DN_ERR_STATE_CORRUPT, "state blob is ", size, " bytes but its header says ",
             h.payload_bytes + kHeaderBytes);
    const auto *payload = static_cast<const unsigned char *>(blob) + kHeaderBytes;
    if (blob_checksum(h, payload) != h.checksum)
        fail(DN_ERR_STATE_CORRUPT, "state blob checksum does not match: the blob is corrupted");
    if (h.fingerprint != model_->fingerprint())
        fail(DN_ERR_STATE_MISMATCH, "state blob was saved from another model");
    if (h.layout_hash != layout_hash() || h.payload_bytes != floats_ * sizeof(float))
        fail(DN_ERR_STATE_MISMATCH, "state blob was saved from a state with other options (max_context)");
    const bool bounded = room() != std::numeric_limits<int64_t>::max();  // has a global-attention cache
    if (h.position < 0 || (bounded && h.position > max_context_))
        fail(DN_ERR_STATE_CORRUPT, "state blob has an impossible position ", h.position);
    std::vector<float> staging(floats_);  // payload may be unaligned
    std::memcpy(staging.data(), payload, h.payload_bytes);
    model_->backend().upload(buffer_, staging.data(), floats_);
    position_ = h.position;
}

}  // namespace dn
