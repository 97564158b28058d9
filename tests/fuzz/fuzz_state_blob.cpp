// libFuzzer target: dn_state_load on any bytes, for a tiny model with a DeltaNet layer and a global
// attention layer (tiny_model.h). Input: one byte of flags, then the blob. Flag 1 repairs the blob's
// payload size and checksum first, so that mutations reach the checks behind the checksum (position,
// layout, fingerprint); flag 2 runs a decode step after a successful load (whatever floats it holds).
// A refused blob must leave the state exactly as it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "tiny_model.h"

namespace {

// FNV-1a 64, as the blob format (src/model/state.cpp) checksums its header and payload.
uint64_t fnv1a(const unsigned char *p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

// Offsets in the 64-byte blob header.
constexpr size_t kHeader = 64, kPayloadBytes = 40, kChecksum = 48, kReserved = 56;

void repair(std::vector<unsigned char> &blob) {
    if (blob.size() < kHeader) return;
    const uint64_t payload = blob.size() - kHeader;
    std::memcpy(&blob[kPayloadBytes], &payload, 8);
    uint64_t sum = fnv1a(blob.data(), kChecksum);
    sum = fnv1a(&blob[kReserved], 8, sum);
    sum = fnv1a(blob.data() + kHeader, payload, sum);
    std::memcpy(&blob[kChecksum], &sum, 8);
}

struct Fixture {
    dn_stream *stream = nullptr;
    dn_model *model = nullptr;
    dn_state *state = nullptr;
    std::vector<unsigned char> empty_blob;  // what the state holds between inputs
    bool dirty = false;
};

Fixture &fixture() {
    static Fixture *f = [] {
        auto *f = new Fixture;
        const std::string dir = dnfuzz::scratch_model_dir("tiny-model");
        dnfuzz::write_tiny_model(dir);
        dn_stream_options options;
        dn_stream_options_init(&options);
        options.num_threads = 1;
        if (dn_stream_create("cpu", &options, &f->stream) != DN_OK ||
            dn_model_load(f->stream, dir.c_str(), nullptr, &f->model) != DN_OK ||
            dn_state_create(f->model, nullptr, &f->state) != DN_OK)
            dnfuzz::bug("setup", dn_last_error());
        std::filesystem::remove_all(dir);  // the model's files stay mapped
        size_t n = 0;
        dn_state_save_size(f->state, &n);
        f->empty_blob.resize(n);
        dn_state_save(f->state, f->empty_blob.data(), n, nullptr);
        return f;
    }();
    return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Fixture &f = fixture();
    if (size < 1) return 0;
    if (f.dirty) dnfuzz::expect_status(dn_state_load(f.state, f.empty_blob.data(), f.empty_blob.size()), {DN_OK}, "reset");
    f.dirty = false;
    std::vector<unsigned char> blob(data + 1, data + size);
    if (data[0] & 1) repair(blob);
    // An exact-sized heap copy, so that ASan sees a read past the end of the blob.
    std::unique_ptr<unsigned char[]> exact(new unsigned char[blob.size() + 1]);
    if (!blob.empty()) std::memcpy(exact.get(), blob.data(), blob.size());
    const dn_status status = dn_state_load(f.state, exact.get(), blob.size());
    dnfuzz::expect_status(status, {DN_OK, DN_ERR_STATE_CORRUPT, DN_ERR_STATE_MISMATCH}, "dn_state_load");
    if (status != DN_OK) {
        std::vector<unsigned char> now(f.empty_blob.size());
        dn_state_save(f.state, now.data(), now.size(), nullptr);
        if (now != f.empty_blob) dnfuzz::bug("dn_state_load", "a refused blob changed the state");
        return 0;
    }
    f.dirty = true;
    int64_t position = -1;
    dn_state_position(f.state, &position);
    if (position < 0 || position > dnfuzz::kTinyContext) dnfuzz::bug("dn_state_load", "accepted an impossible position");
    if (data[0] & 2) {
        const int32_t token = int32_t(data[size - 1] % dnfuzz::kTinyVocab);
        float logits[dnfuzz::kTinyVocab];
        dnfuzz::expect_status(dn_forward(f.stream, f.model, f.state, &token, 1, DN_LOGITS_LAST, logits, dnfuzz::kTinyVocab),
                              {DN_OK, DN_ERR_CONTEXT_FULL}, "dn_forward after dn_state_load");
    }
    return 0;
}
