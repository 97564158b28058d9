// deltanet: the command-line tool. Parses the command line, runs the chosen subcommand and turns
// every failure into one "deltanet: error: ..." line and exit status 1 (2 for usage errors).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <new>

#include "cli/commands.h"
#include "core/error.h"

namespace {

int report(dn_status status, const char *message) {
    if (message && *message)
        std::fprintf(stderr, "deltanet: error: %s: %s\n", dn_status_string(status), message);
    else
        std::fprintf(stderr, "deltanet: error: %s\n", dn_status_string(status));
    return 1;
}

}  // namespace

int main(int argc, char **argv) {
    using namespace dn::cli;
    CLI::App app{"Run DeltaNet-family language models on the CPU.", "deltanet"};
    app.set_version_flag("--version", std::string("deltanet ") + dn_version_string());
    app.require_subcommand(1);
    app.fallthrough();  // lets global options follow the subcommand: `deltanet eval DIR -t 2`

    GlobalOptions global;
    app.add_option("-t,--threads", global.threads, "CPU worker threads (0 = all cores)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    app.add_flag("--mapped-weights", global.mapped_weights,
                 "Read weights in place from the memory-mapped files instead of copying them into huge pages "
                 "(less resident memory, slower decode)");

    const Command commands[] = {
        add_info_command(app, global),
        add_eval_command(app, global),
        add_generate_command(app, global),
        add_bench_command(app, global),
        add_random_model_command(app, global),
        add_tokenize_command(app, global),
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        // CLI11 reports an unknown subcommand as a missing one; name it instead.
        if (dynamic_cast<const CLI::RequiredError *>(&e) && app.get_subcommands().empty() && !app.remaining().empty()) {
            std::fprintf(stderr, "unknown subcommand '%s'\nRun with --help for more information.\n",
                         app.remaining().front().c_str());
            return 2;
        }
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    try {
        for (const Command &command : commands)
            if (command.app->parsed()) command.run();
        return 0;
    } catch (const dn::Error &e) {
        return report(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        return report(DN_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return report(DN_ERR_INTERNAL, e.what());
    }
}
