// Tokenizers read from Hugging Face tokenizer.json files: byte-level BPE (GPT-2 / Llama 3 / Qwen) and
// SentencePiece-style BPE (Llama 2 / Mistral), with added and special tokens. Immutable once loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/utf8.h"  // sanitize_utf8

namespace dn::text {

class Tokenizer {
public:
    // `path` is a model directory (tokenizer.json, and tokenizer_config.json when present for the
    // bos/eos token names) or a tokenizer.json file. Throws dn::Error: DN_ERR_IO, DN_ERR_MALFORMED_FILE,
    // DN_ERR_UNSUPPORTED (naming the unsupported type or option).
    static std::unique_ptr<Tokenizer> load(const std::string &path);
    // The same from the files' text (`config_json` empty when there is no tokenizer_config.json);
    // `source` names tokenizer.json in messages. The parser on plain buffers, for tests and fuzzing.
    static std::unique_ptr<Tokenizer> from_json(std::string_view tokenizer_json, std::string_view config_json,
                                                const std::string &source);

    virtual ~Tokenizer() = default;

    // Text (any bytes; invalid UTF-8 gets a defined result) to ids. add_special: what the
    // tokenizer's post-processor template adds (e.g. bos). parse_special: special tokens written in
    // the text are matched as such.
    virtual std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const = 0;

    // Ids to text; byte sequences that are not valid UTF-8 become U+FFFD. Throws DN_ERR_TOKEN_OUT_OF_RANGE.
    virtual std::string decode(std::span<const int32_t> ids, bool skip_special) const = 0;

    // The raw bytes token `id` contributes to decode() output when it follows `previous` tokens of the
    // same sequence (only whether there are any matters: SentencePiece strips the first token's
    // leading space). Concatenating these over a sequence and replacing invalid UTF-8 by U+FFFD
    // gives decode() of the sequence. Throws DN_ERR_TOKEN_OUT_OF_RANGE.
    virtual void append_token_bytes(int32_t id, bool first, bool skip_special, std::string &out) const = 0;

    virtual int32_t vocab_size() const = 0;                         // largest id + 1
    virtual const std::string *token_text(int32_t id) const = 0;    // vocabulary string; null if none
    virtual int32_t token_id(std::string_view text) const = 0;      // -1 if none
    virtual bool is_special(int32_t id) const = 0;
    virtual int32_t bos_id() const = 0;  // -1 if none
    virtual int32_t eos_id() const = 0;  // -1 if none
};

// Streaming decode: push ids one at a time and get the text that is complete so far; an unfinished
// UTF-8 character is held back until its last byte arrives. Output concatenated (with flush())
// equals Tokenizer::decode of all pushed ids.
class Detokenizer {
public:
    Detokenizer(const Tokenizer &tokenizer, bool skip_special);

    // Throws DN_ERR_TOKEN_OUT_OF_RANGE (nothing changes). The view stays valid until the next call.
    std::string_view push(int32_t id);

    // What is held back (an unfinished character as U+FFFD); then starts a new sequence.
    std::string_view flush();

private:
    const Tokenizer &tokenizer_;
    bool skip_special_;
    bool first_ = true;
    std::string pending_;  // bytes not yet emitted (an incomplete UTF-8 sequence at most)
    std::string out_;      // the last returned text
};

}  // namespace dn::text
