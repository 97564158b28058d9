#include "text/bpe.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

#include "core/error.h"
#include "text/utf8.h"

namespace dn::text {

namespace {

using json = nlohmann::json;

bool is_null_or(const json &j, const char *key, const json &neutral) {
    return !j.contains(key) || j[key].is_null() || j[key] == neutral;
}

}  // namespace

BpeModel::BpeModel(const json &model) {
    for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (!is_null_or(model, key, json("")))
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: BPE option '", key, "' is not supported");
    if (!is_null_or(model, "dropout", json(0.0)) && model["dropout"] != json(0))
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: BPE dropout is not supported (it makes encoding random)");
    if (!model.contains("vocab") || !model["vocab"].is_object())
        fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: model.vocab is missing or not an object");
    for (const auto &[token, id] : model["vocab"].items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || (id.is_number_unsigned() && id.get<uint64_t>() > INT64_MAX))
            fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: vocabulary entry '", token, "' has an invalid id");
        if (id.get<int64_t>() > kMaxTokenId)
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: vocabulary entry '", token, "' has id ", id.get<int64_t>(),
                 ", above the largest supported id ", kMaxTokenId);
        vocab_.emplace(token, id.get<int32_t>());
    }
    fuse_unk_ = model.value("fuse_unk", false);
    byte_fallback_ = model.value("byte_fallback", false);
    ignore_merges_ = model.value("ignore_merges", false);
    if (model.contains("unk_token") && model["unk_token"].is_string()) {
        const auto it = vocab_.find(model["unk_token"].get<std::string>());
        if (it == vocab_.end()) fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: the unk_token is not in the vocabulary");
        unk_ = it->second;
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const auto it = vocab_.find(std::string_view(name));
        byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
        if (byte_fallback_ && it != vocab_.end()) byte_of_id_[it->second] = b;
    }

    // Merges: ["a", "b"] pairs (tokenizers >= 0.20) or "a b" strings; earlier ones apply first.
    static const json no_merges = json::array();  // (a reference either way: the ternary would copy)
    const json &merges = model.contains("merges") ? model["merges"] : no_merges;
    if (!merges.is_array()) fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: model.merges is not a list");
    int32_t rank = 0;
    for (const json &merge : merges) {
        std::string left, right;
        if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
            left = merge[0];
            right = merge[1];
        } else if (merge.is_string()) {
            const std::string s = merge;
            const size_t space = s.find(' ', 1);
            if (space == std::string::npos) fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: merge '", s, "' has no space");
            left = s.substr(0, space);
            right = s.substr(space + 1);
        } else {
            fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: merge ", rank, " is neither a pair nor a string");
        }
        const auto l = vocab_.find(left), r = vocab_.find(right), m = vocab_.find(left + right);
        if (l == vocab_.end() || r == vocab_.end() || m == vocab_.end())
            fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: merge ", rank, " ('", left, "' + '", right,
                 "') uses a token that is not in the vocabulary");
        // A pair listed twice takes its later rank, as tokenizers' map from the list does.
        merges_[pair_key(l->second, r->second)] = Merge{rank++, m->second};
    }
}

int BpeModel::fallback_byte(int32_t id) const {
    const auto it = byte_of_id_.find(id);
    return it == byte_of_id_.end() ? -1 : it->second;
}

void BpeModel::initial_symbols(std::string_view piece, std::vector<int32_t> &symbols) const {
    bool last_was_unk = false;
    for (size_t i = 0; i < piece.size();) {
        const size_t n = std::max<size_t>(1, utf8_sequence_length(piece.substr(i)));
        const std::string_view character = piece.substr(i, n);
        i += n;
        const auto it = vocab_.find(character);
        if (it != vocab_.end()) {
            symbols.push_back(it->second);
            last_was_unk = false;
            continue;
        }
        bool all_bytes = byte_fallback_;
        for (char c : character) all_bytes = all_bytes && byte_ids_[static_cast<unsigned char>(c)] >= 0;
        if (all_bytes) {
            for (char c : character) symbols.push_back(byte_ids_[static_cast<unsigned char>(c)]);
            last_was_unk = false;
        } else if (unk_ >= 0) {
            if (!(fuse_unk_ && last_was_unk)) symbols.push_back(unk_);
            last_was_unk = true;
        }
        // Without byte fallback or an unknown token the character is dropped, as tokenizers does.
    }
}

void BpeModel::encode(std::string_view piece, std::vector<int32_t> &out) const {
    if (piece.empty()) return;
    if (ignore_merges_) {
        const auto it = vocab_.find(piece);
        if (it != vocab_.end()) {
            out.push_back(it->second);
            return;
        }
    }
    std::vector<int32_t> ids;
    initial_symbols(piece, ids);
    const int n = int(ids.size());
    if (n < 2) {
        out.insert(out.end(), ids.begin(), ids.end());
        return;
    }
    // A doubly linked list of symbols; candidate merges in a heap ordered by (rank, position). A
    // candidate is stale when either side has changed since it was pushed.
    std::vector<int> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        prev[size_t(i)] = i - 1;
        next[size_t(i)] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
        int32_t rank;
        int left;
        int32_t left_id, right_id;
        bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
    auto consider = [&](int left) {
        if (left < 0 || next[size_t(left)] < 0) return;
        const int right = next[size_t(left)];
        const auto it = merges_.find(pair_key(ids[size_t(left)], ids[size_t(right)]));
        if (it != merges_.end()) heap.push({it->second.rank, left, ids[size_t(left)], ids[size_t(right)]});
    };
    for (int i = 0; i + 1 < n; ++i) consider(i);
    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        const int right = next[size_t(c.left)];
        if (ids[size_t(c.left)] != c.left_id || right < 0 || ids[size_t(right)] != c.right_id) continue;
        ids[size_t(c.left)] = merges_.at(pair_key(c.left_id, c.right_id)).merged;
        ids[size_t(right)] = -1;  // removed
        next[size_t(c.left)] = next[size_t(right)];
        if (next[size_t(right)] >= 0) prev[size_t(next[size_t(right)])] = c.left;
        consider(prev[size_t(c.left)]);
        consider(c.left);
    }
    for (int i = 0; i >= 0; i = next[size_t(i)]) out.push_back(ids[size_t(i)]);
}

}  // namespace dn::text
