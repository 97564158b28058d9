// libFuzzer target: tokenizer.json parsing, then the loaded tokenizer on a text. Input: the JSON, then
// optionally a NUL byte and the text to encode (a fixed sentence when there is none). An accepted
// tokenizer must encode without error, decode its own ids, and its streaming detokenizer must give
// what decode gives (the header's promise).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const size_t nul = input.find('\0');
    const std::string_view json = input.substr(0, nul);
    // Short texts only: a hostile split pattern may backtrack, and that is bounded by PCRE2's match limit.
    const std::string_view text = nul == std::string_view::npos ? std::string_view("Hello, world! 123 \xc3\xa9t\xc3\xa9.")
                                                                : input.substr(nul + 1, 256);
    std::unique_ptr<dn::text::Tokenizer> tokenizer;
    dnfuzz::expect_clean([&] { tokenizer = dn::text::Tokenizer::from_json(json, "", "tokenizer.json"); },
                         {DN_ERR_MALFORMED_FILE, DN_ERR_UNSUPPORTED});
    if (!tokenizer) return 0;
    dnfuzz::expect_clean(
        [&] {
            for (bool special : {false, true}) {
                const std::vector<int32_t> ids = tokenizer->encode(text, special, special);
                for (int32_t id : ids)
                    if (!tokenizer->token_text(id)) dnfuzz::bug("encode gave an id without a token", "");
                const std::string whole = tokenizer->decode(ids, special);
                dn::text::Detokenizer stream(*tokenizer, special);
                std::string pieces;
                for (int32_t id : ids) pieces += stream.push(id);
                pieces += stream.flush();
                if (pieces != whole) dnfuzz::bug("detokenizer", "streamed text differs from decode()");
            }
        },
        {});
    return 0;
}
