// A C++ program outside the project that finds an installed libdeltanet with
// find_package(deltanet CONFIG) (CMakeLists.txt here) and generates a few greedy tokens:
//   ./consumer_cmake /usr/share/deltanet/models/kjv-deltanet-6m [tokens]
#include <deltanet/deltanet.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T *p) const { Free(p); }
};

void check(dn_status status, const char *what) {
    if (status != DN_OK) {
        std::fprintf(stderr, "%s: %s: %s\n", what, dn_status_string(status), dn_last_error());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL_DIR [TOKENS]\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const int tokens = argc > 2 ? std::atoi(argv[2]) : 8;
    std::printf("libdeltanet %s via find_package(deltanet %s)\n", dn_version_string(), DELTANET_FIND_VERSION);

    dn_stream *raw_stream = nullptr;
    check(dn_stream_create("cpu", nullptr, &raw_stream), "dn_stream_create");
    std::unique_ptr<dn_stream, Deleter<dn_stream_destroy>> stream(raw_stream);
    dn_model *raw_model = nullptr;
    check(dn_model_load(stream.get(), dir.c_str(), nullptr, &raw_model), "dn_model_load");
    std::unique_ptr<dn_model, Deleter<dn_model_free>> model(raw_model);
    dn_tokenizer *raw_tokenizer = nullptr;
    check(dn_tokenizer_load(dir.c_str(), &raw_tokenizer), "dn_tokenizer_load");
    std::unique_ptr<dn_tokenizer, Deleter<dn_tokenizer_free>> tokenizer(raw_tokenizer);
    dn_state *raw_state = nullptr;
    check(dn_state_create(model.get(), nullptr, &raw_state), "dn_state_create");
    std::unique_ptr<dn_state, Deleter<dn_state_free>> state(raw_state);

    dn_sampler_options sampling;
    dn_sampler_options_init(&sampling);
    sampling.temperature = 0.0f;
    dn_generate_options options;
    dn_generate_options_init(&options);
    options.max_tokens = tokens;
    options.sampling = &sampling;
    std::string text;
    options.callback = [](const char *piece, size_t len, int32_t, void *user) {
        static_cast<std::string *>(user)->append(piece, len);
        return 1;
    };
    options.user_data = &text;
    const std::string prompt = "In the beginning God created";
    check(dn_generate(stream.get(), model.get(), tokenizer.get(), state.get(), prompt.data(), prompt.size(), &options,
                      nullptr),
          "dn_generate");
    std::printf("%s%s\n", prompt.c_str(), text.c_str());
    return 0;
}
