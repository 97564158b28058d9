// The BPE model of tokenizer.json: a vocabulary, merges by rank, and what happens to characters the
// vocabulary lacks (byte fallback to <0xNN> tokens, or an unknown token).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dn::text {

// The largest token id a tokenizer may use: 16.7M ids, 60 times the largest vocabularies in use.
// Token texts are stored by id, so a file naming id 2^31 would otherwise cost 64 GB to load.
constexpr int64_t kMaxTokenId = (int64_t(1) << 24) - 1;

// Hash and equality that let unordered_map<std::string, ...> be searched with a string_view.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIds = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
public:
    // `model` is tokenizer.json's "model" object. Throws DN_ERR_MALFORMED_FILE / DN_ERR_UNSUPPORTED.
    explicit BpeModel(const nlohmann::json &model);

    // Appends the ids of one pre-token (UTF-8; an invalid byte counts as a character of its own).
    void encode(std::string_view piece, std::vector<int32_t> &out) const;

    const StringIds &vocab() const { return vocab_; }
    // The byte a <0xNN> token stands for when byte fallback is on, else -1.
    int fallback_byte(int32_t id) const;

private:
    struct Merge {
        int32_t rank;
        int32_t merged;
    };
    static uint64_t pair_key(int32_t left, int32_t right) { return uint64_t(uint32_t(left)) << 32 | uint32_t(right); }
    void initial_symbols(std::string_view piece, std::vector<int32_t> &symbols) const;

    StringIds vocab_;
    std::unordered_map<uint64_t, Merge> merges_;
    int32_t unk_ = -1;
    bool fuse_unk_ = false;
    bool byte_fallback_ = false;
    bool ignore_merges_ = false;
    int32_t byte_ids_[256];  // <0xNN> tokens, -1 where missing
    std::unordered_map<int32_t, int> byte_of_id_;
};

}  // namespace dn::text
