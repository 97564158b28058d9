// Writes what the C API computes for each fixture, for the language bindings' tests to compare with
// bit for bit (same library underneath). Usage: dn_binding_reference OUT_DIR
// For each fixture NAME it writes, little-endian, under OUT_DIR/NAME/:
//   input_ids.i32  the fixture's input ids (int32)
//   logits.f32     dn_forward(DN_LOGITS_ALL) of input_ids on a fresh state, [T][vocab] float32
//   greedy.i32     8 greedy tokens after input_ids (argmax, first on ties; one token per dn_forward)
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

template <typename T>
void write_raw(const dntest::fs::path &file, const std::vector<T> &values) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(values.data()), std::streamsize(values.size() * sizeof(T)));
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

void dump(const std::string &name, const dntest::fs::path &out_dir) {
    using namespace dntest;
    const Reference ref = load_reference(fixture_dir(name) / "reference.safetensors");
    Loaded m = load(fixture_dir(name));
    StatePtr state = make_state(m.model.get());
    const std::vector<float> logits = forward(m.stream.get(), m.model.get(), state.get(), ref.input_ids, DN_LOGITS_ALL);

    std::vector<int32_t> greedy;
    const float *last = logits.data() + logits.size() - size_t(m.vocab);
    int32_t token = int32_t(argmax(last, size_t(m.vocab)));
    for (int i = 0; i < 8; ++i) {
        greedy.push_back(token);
        const std::vector<float> next = step(m.stream.get(), m.model.get(), state.get(), token);
        token = int32_t(argmax(next.data(), next.size()));
    }
    fs::create_directories(out_dir / name);
    write_raw(out_dir / name / "input_ids.i32", ref.input_ids);
    write_raw(out_dir / name / "logits.f32", logits);
    write_raw(out_dir / name / "greedy.i32", greedy);
    std::printf("%s: %zu ids, %zu logits, greedy", name.c_str(), ref.input_ids.size(), logits.size());
    for (int32_t t : greedy) std::printf(" %d", t);
    std::printf("\n");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    try {
        for (const std::string &name : dntest::fixture_names()) dump(name, argv[1]);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "dn_binding_reference: %s\n", e.what());
        return 1;
    }
    return 0;
}
