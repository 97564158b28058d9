// deltanet tokenize MODEL_DIR FILE: the token ids of a file's text, separated by spaces.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace dn::cli {

namespace {

struct TokenizeOptions {
    std::string model_dir;
    std::string file;
    bool add_special = false;
    bool parse_special = false;
};

void run_tokenize(const TokenizeOptions &options) {
    const TokenizerPtr tokenizer = load_tokenizer(options.model_dir);
    const std::string text = read_all(options.file);
    const std::vector<int32_t> ids = encode(tokenizer.get(), text,
                                            (options.add_special ? uint32_t(DN_ENCODE_ADD_SPECIAL) : 0u) |
                                                (options.parse_special ? uint32_t(DN_ENCODE_PARSE_SPECIAL) : 0u));
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i == 0 ? "%d" : " %d", ids[i]);
    std::printf("\n");
}

}  // namespace

Command add_tokenize_command(CLI::App &root, const GlobalOptions &) {
    auto options = std::make_shared<TokenizeOptions>();
    CLI::App *command = root.add_subcommand("tokenize", "Print the token ids of a text file, separated by spaces");
    command->add_option("model_dir", options->model_dir, "Model directory (its tokenizer.json)")->required();
    command->add_option("file", options->file, "UTF-8 text file ('-' reads stdin)")->required();
    command->add_flag("--add-special", options->add_special, "Add the tokens the tokenizer's template adds (bos)");
    command->add_flag("--parse-special", options->parse_special,
                      "Match special tokens written in the text (e.g. <|endoftext|>)");
    return {command, [options] { run_tokenize(*options); }};
}

}  // namespace dn::cli
