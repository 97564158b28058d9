#include "support/model_files.h"

#include <cstring>
#include <stdexcept>

#include "core/safetensors.h"

namespace dntest {

std::vector<OwnedTensor> read_tensors(const fs::path &file) {
    const dn::SafetensorsFile st(file.string());
    std::vector<OwnedTensor> tensors;
    for (const auto &[name, view] : st.tensors()) {
        OwnedTensor t;
        t.name = name;
        t.dtype = view.dtype;
        t.shape = view.shape;
        t.bytes.assign(reinterpret_cast<const char *>(view.data), size_t(view.nbytes));
        tensors.push_back(std::move(t));
    }
    return tensors;
}

void write_tensors(const fs::path &file, const std::vector<OwnedTensor> &tensors) {
    std::vector<dn::TensorToWrite> out;
    for (const OwnedTensor &t : tensors) {
        int64_t numel = 1;
        for (int64_t d : t.shape) numel *= d;
        if (uint64_t(numel) * dn::dtype_size(t.dtype) != t.bytes.size())
            throw std::runtime_error("write_tensors: tensor '" + t.name + "' has a byte count that does not fit its shape");
        out.push_back(dn::TensorToWrite{t.name, t.dtype, t.shape, t.bytes.data()});
    }
    dn::write_safetensors(file.string(), out);
}

OwnedTensor &tensor_named(std::vector<OwnedTensor> &tensors, const std::string &name) {
    for (OwnedTensor &t : tensors)
        if (t.name == name) return t;
    throw std::runtime_error("no tensor '" + name + "' in the checkpoint");
}

RawSafetensors split_safetensors(const std::string &bytes) {
    if (bytes.size() < 8) throw std::runtime_error("split_safetensors: fewer than 8 bytes");
    RawSafetensors raw;
    for (int i = 7; i >= 0; --i) raw.header_length = (raw.header_length << 8) | uint8_t(bytes[size_t(i)]);
    if (raw.header_length > bytes.size() - 8) throw std::runtime_error("split_safetensors: header runs past the end");
    raw.header = nlohmann::ordered_json::parse(bytes.substr(8, size_t(raw.header_length)));
    raw.data = bytes.substr(8 + size_t(raw.header_length));
    return raw;
}

std::string join_safetensors(const nlohmann::ordered_json &header, const std::string &data) {
    std::string text = header.dump();
    while (text.size() % 8 != 0) text.push_back(' ');
    return with_header_length(std::string(8, '\0') + text, text.size()) + data;
}

std::string with_header_length(std::string bytes, uint64_t length) {
    if (bytes.size() < 8) throw std::runtime_error("with_header_length: fewer than 8 bytes");
    for (int i = 0; i < 8; ++i) bytes[size_t(i)] = char((length >> (8 * i)) & 0xff);
    return bytes;
}

nlohmann::json read_json(const fs::path &file) { return nlohmann::json::parse(read_bytes(file)); }

void write_json(const fs::path &file, const nlohmann::json &value) { write_bytes(file, value.dump(2)); }

fs::path make_dir(const TempDir &tmp, const std::string &name) {
    const fs::path dir = tmp / name;
    fs::create_directories(dir);
    return dir;
}

fs::path model_dir_with_config(const TempDir &tmp, const std::string &name, const std::string &fixture,
                               const nlohmann::json &config) {
    const fs::path dir = make_dir(tmp, name);
    write_json(dir / "config.json", config);
    fs::create_symlink(fs::absolute(fixture_dir(fixture) / "model.safetensors"), dir / "model.safetensors");
    return dir;
}

fs::path model_dir_with_weights(const TempDir &tmp, const std::string &name, const std::string &fixture,
                                const std::string &weights) {
    const fs::path dir = make_dir(tmp, name);
    fs::copy_file(fixture_dir(fixture) / "config.json", dir / "config.json");
    write_bytes(dir / "model.safetensors", weights);
    return dir;
}

}  // namespace dntest
