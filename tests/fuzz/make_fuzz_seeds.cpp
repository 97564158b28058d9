// Writes the fuzz targets' seed corpora into OUT/<target>/ from the ground truth: the fixtures' and
// the bundled model's config.json, safetensors headers (as written, and with every tensor shrunk to
// at most 2 per dimension so that the seed is small and valid), tokenizers cut down to a few hundred
// tokens, state blobs of the tiny model, and KJV text and ids. Nothing big is committed; this runs at
// build time. Usage: make_fuzz_seeds OUT SHARED_DIR SOURCE_DIR
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "deltanet/deltanet.h"
#include "tiny_model.h"

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

std::string read(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const fs::path &file, const std::string &bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string le64(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[size_t(i)] = char(v >> (8 * i));
    return s;
}

size_t dtype_bytes(const std::string &dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "BF16" || dtype == "F16" || dtype == "I16" || dtype == "U16") return 2;
    return 1;
}

void safetensors_seeds(const fs::path &file, const fs::path &out, const std::string &name) {
    const std::string bytes = read(file);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = header_len << 8 | uint8_t(bytes[size_t(i)]);
    const std::string header_text = bytes.substr(8, header_len);
    // As written, without the data: every tensor runs past the end.
    write(out / (name + "-header-only"), bytes.substr(0, 8 + header_len));
    // Every tensor shrunk: a small, valid file with the same names, dtypes and ranks.
    ordered_json header = ordered_json::parse(header_text);
    uint64_t offset = 0;
    for (auto &[key, entry] : header.items()) {
        if (key == "__metadata__") continue;
        uint64_t n = 1;
        for (auto &d : entry["shape"]) {
            d = std::min<uint64_t>(d.get<uint64_t>(), 2);
            n *= d.get<uint64_t>();
        }
        const uint64_t size = n * dtype_bytes(entry["dtype"].get<std::string>());
        entry["data_offsets"] = {offset, offset + size};
        offset += size;
    }
    std::string text = header.dump();
    std::string data(offset, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = char(i * 37);
    write(out / (name + "-shrunk"), le64(text.size()) + text + data);
}

// The tokenizer with only the tokens of id < keep (and merges among them): a valid, small seed.
std::string shrink_tokenizer(const std::string &text, int64_t keep) {
    ordered_json t = ordered_json::parse(text);
    ordered_json &model = t["model"];
    ordered_json vocab = ordered_json::object();
    std::set<std::string> kept;
    for (auto &[token, id] : model["vocab"].items())
        if (id.get<int64_t>() < keep) {
            vocab[token] = id;
            kept.insert(token);
        }
    ordered_json merges = ordered_json::array();
    for (const auto &m : model["merges"]) {
        std::string l, r;
        if (m.is_array()) l = m[0], r = m[1];
        else {
            const std::string s = m;
            l = s.substr(0, s.find(' ', 1));
            r = s.substr(s.find(' ', 1) + 1);
        }
        if (kept.count(l) && kept.count(r) && kept.count(l + r)) merges.push_back(m);
    }
    model["vocab"] = vocab;
    model["merges"] = merges;
    ordered_json added = ordered_json::array();
    for (const auto &a : t["added_tokens"])
        if (a["id"].get<int64_t>() < keep) added.push_back(a);
    t["added_tokens"] = added;
    return t.dump();
}

void check(dn_status s, const char *what) {
    if (s != DN_OK) throw std::runtime_error(std::string(what) + ": " + dn_last_error());
}

void state_blob_seeds(const fs::path &out) {
    const fs::path dir = out / "tiny-model";
    dnfuzz::write_tiny_model(dir.string());
    dn_stream *stream = nullptr;
    dn_model *model = nullptr;
    check(dn_stream_create("cpu", nullptr, &stream), "dn_stream_create");
    check(dn_model_load(stream, dir.string().c_str(), nullptr, &model), "dn_model_load");
    for (int tokens : {0, 3, dnfuzz::kTinyContext}) {
        dn_state *state = nullptr;
        check(dn_state_create(model, nullptr, &state), "dn_state_create");
        for (int i = 0; i < tokens; ++i) {
            const int32_t id = (i * 5 + 3) % dnfuzz::kTinyVocab;
            check(dn_forward(stream, model, state, &id, 1, DN_LOGITS_NONE, nullptr, 0), "dn_forward");
        }
        size_t n = 0;
        dn_state_save_size(state, &n);
        std::string blob(n, '\0');
        check(dn_state_save(state, blob.data(), n, nullptr), "dn_state_save");
        for (char flags : {0, 1, 2, 3})
            write(out / "state_blob" / ("tokens" + std::to_string(tokens) + "-flags" + std::to_string(int(flags))),
                  std::string(1, flags) + blob);
        dn_state_free(state);
    }
    dn_model_free(model);
    dn_stream_destroy(stream);
    fs::remove_all(dir);
}

}  // namespace

int main(int argc, char **argv) try {
    if (argc != 4) {
        std::cerr << "usage: make_fuzz_seeds OUT SHARED_DIR SOURCE_DIR\n";
        return 2;
    }
    const fs::path out = argv[1], shared = argv[2], source = argv[3];
    const fs::path kjv = source / "models" / "kjv-deltanet-6m";
    for (const char *fixture : {"deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"}) {
        const fs::path dir = shared / "fixtures" / fixture;
        write(out / "model_config" / fixture, read(dir / "config.json"));
        safetensors_seeds(dir / "model.safetensors", out / "safetensors", fixture);
        safetensors_seeds(dir / "reference.safetensors", out / "safetensors", std::string(fixture) + "-reference");
    }
    write(out / "model_config" / "kjv-deltanet-6m", read(kjv / "config.json"));
    for (const char *config : {"deltanet-1.3b.json", "gated-deltanet-1.3b.json"})
        write(out / "model_config" / config, read(source / "src" / "cli" / "configs" / config));
    safetensors_seeds(kjv / "model.safetensors", out / "safetensors", "kjv-deltanet-6m");

    const std::string sample = std::string("In the beginning God created the heaven and the earth.") + '\0' +
                               "And God said, Let there be light: and there was light. <|endoftext|> 1611 \xe2\x80\x94 \xff\xfe";
    write(out / "tokenizer_json" / "kjv-300", shrink_tokenizer(read(kjv / "tokenizer.json"), 300) + '\0' + sample.substr(55));
    write(out / "tokenizer_json" / "mistral-400",
          shrink_tokenizer(read(source / "tests" / "data" / "mistral" / "tokenizer.json"), 400) + '\0' + sample.substr(55));

    // text_api: an options byte (encode flags, too-small buffer first, skip specials, raw int32 ids),
    // then the text.
    for (int options : {0, 3, 4 | 2, 8 | 1, 16, 16 | 8}) {
        const std::string prefix(1, char(options));
        write(out / "text_api" / ("genesis-" + std::to_string(options)), prefix + sample.substr(0, 54));
        write(out / "text_api" / ("special-and-invalid-" + std::to_string(options)), prefix + sample.substr(55));
    }
    write(out / "text_api" / "empty", "");

    std::vector<int32_t> ids;
    {
        std::istringstream in(read(source / "tests" / "data" / "kjv-prompt.ids"));
        for (int32_t id; in >> id;) ids.push_back(id);
    }
    // Past the prompt, ids spread over the kjv vocabulary (4096).
    for (int32_t i = int32_t(ids.size()); i < 72; ++i) ids.push_back((ids[size_t(i) % 3] + 97 * i) % 4096);
    // forward_api: an options byte (logits mode, batch step, save/load, generate, model, raw ids), then
    // ids: the prompt, 8, and 72 (past one 64-token prefill chunk).
    for (size_t count : {size_t(3), size_t(8), ids.size()})
        for (int options : {0, 1, 2, 8 | 16 | 32, 2 | 8 | 16 | 32, 0x80 | 1, 0x40, 0x40 | 2 | 8 | 16 | 32}) {
            std::string input(1, char(options));
            input.append(reinterpret_cast<const char *>(ids.data()), count * 4);
            write(out / "forward_api" / ("kjv-prompt-" + std::to_string(count) + "-" + std::to_string(options)), input);
        }
    state_blob_seeds(out);
    return 0;
} catch (const std::exception &e) {
    std::cerr << "make_fuzz_seeds: " << e.what() << "\n";
    return 1;
}
