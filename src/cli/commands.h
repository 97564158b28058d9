// The subcommands. Each add_*_command registers its options on `root` and returns what to run when
// the user chose it; the options live in the returned closure.
#pragma once

#include <functional>

#include "cli/common.h"

namespace dn::cli {

struct Command {
    CLI::App *app = nullptr;
    std::function<void()> run;
};

Command add_info_command(CLI::App &root, const GlobalOptions &global);
Command add_eval_command(CLI::App &root, const GlobalOptions &global);
Command add_generate_command(CLI::App &root, const GlobalOptions &global);
Command add_bench_command(CLI::App &root, const GlobalOptions &global);
Command add_random_model_command(CLI::App &root, const GlobalOptions &global);
Command add_tokenize_command(CLI::App &root, const GlobalOptions &global);

}  // namespace dn::cli
