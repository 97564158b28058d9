#include "core/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_release.h"

namespace dn {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit is 100 MB

uint64_t read_le64(const std::byte *p) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | uint64_t(p[i]);
    return value;
}

[[noreturn]] void malformed(const std::string &path, const std::string &why) {
    fail(DN_ERR_MALFORMED_FILE, path, ": not a valid safetensors file: ", why);
}

}  // namespace

int64_t TensorView::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

SafetensorsFile::SafetensorsFile(const std::string &path) : file_(std::make_unique<MappedFile>(path)) {
    parse(file_->data(), file_->size(), path);
}

SafetensorsFile::SafetensorsFile(const std::byte *data, size_t size, const std::string &source) {
    parse(data, size, source);
}

void SafetensorsFile::parse(const std::byte *data, size_t size, const std::string &path) {
    if (size < 8) malformed(path, cat("file is ", size, " bytes, shorter than the 8-byte header length"));
    const uint64_t header_len = read_le64(data);
    if (header_len > kMaxHeaderBytes) malformed(path, cat("header length ", header_len, " is too large"));
    if (header_len > size - 8)
        malformed(path, cat("header length ", header_len, " runs past the end of the file (", size, " bytes)"));
    const char *header_begin = reinterpret_cast<const char *>(data + 8);
    nlohmann::json header = parse_json_bounded(header_begin, header_begin + header_len, path);
    const JsonRelease release(header);
    if (header.is_discarded() || !header.is_object()) malformed(path, "header is not a JSON object");

    const std::byte *data_begin = data + 8 + header_len;
    const uint64_t data_size = size - 8 - header_len;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string &name = it.key();
        const nlohmann::json &entry = it.value();
        if (name == "__metadata__") {
            if (!entry.is_object()) malformed(path, "__metadata__ is not an object");
            for (auto m = entry.begin(); m != entry.end(); ++m)
                if (m.value().is_string()) metadata_[m.key()] = m.value().get<std::string>();
            continue;
        }
        if (!entry.is_object()) malformed(path, cat("entry '", name, "' is not an object"));
        auto dtype_it = entry.find("dtype");
        auto shape_it = entry.find("shape");
        auto offsets_it = entry.find("data_offsets");
        if (dtype_it == entry.end() || !dtype_it->is_string() || shape_it == entry.end() ||
            !shape_it->is_array() || offsets_it == entry.end() || !offsets_it->is_array() ||
            offsets_it->size() != 2)
            malformed(path, cat("tensor '", name, "' lacks dtype, shape or data_offsets"));
        TensorView view;
        view.name = name;
        view.file = path;
        const std::string dtype_text = dtype_it->get<std::string>();
        if (!parse_safetensors_dtype(dtype_text, &view.dtype))
            fail(DN_ERR_UNSUPPORTED, path, ": tensor '", name, "' has dtype ", dtype_text,
                 ", which this library does not read");
        uint64_t numel = 1;
        for (const auto &dim : *shape_it) {
            if (!dim.is_number_unsigned()) malformed(path, cat("tensor '", name, "' has a bad shape"));
            const uint64_t d = dim.get<uint64_t>();
            if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d)
                malformed(path, cat("tensor '", name, "' is impossibly large"));
            numel *= d;
            view.shape.push_back(int64_t(d));
        }
        for (const auto &offset : *offsets_it)
            if (!offset.is_number_unsigned()) malformed(path, cat("tensor '", name, "' has bad data_offsets"));
        const uint64_t begin = (*offsets_it)[0].get<uint64_t>();
        const uint64_t end = (*offsets_it)[1].get<uint64_t>();
        if (begin > end || end > data_size)
            malformed(path, cat("tensor '", name, "' has data_offsets [", begin, ", ", end,
                                ") outside the ", data_size, " data bytes"));
        if (numel > std::numeric_limits<uint64_t>::max() / dtype_size(view.dtype) ||
            end - begin != numel * dtype_size(view.dtype))
            malformed(path, cat("tensor '", name, "' has ", end - begin, " bytes but its shape and dtype need ",
                                numel * dtype_size(view.dtype)));
        view.data = data_begin + begin;
        view.nbytes = end - begin;
        if (view.nbytes) ranges.emplace_back(begin, end);
        tensors_.emplace(name, std::move(view));
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second)
            malformed(path, cat("tensor data ranges overlap at byte ", ranges[i].first));
}

const TensorView *SafetensorsFile::find(const std::string &name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

void write_safetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                       const std::map<std::string, std::string> &metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    std::vector<uint64_t> sizes;
    for (const auto &t : tensors) {
        uint64_t numel = 1;
        for (int64_t d : t.shape) numel *= uint64_t(d);
        const uint64_t bytes = numel * dtype_size(t.dtype);
        header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        sizes.push_back(bytes);
    }
    std::string text = header.dump();
    while ((text.size() + 8) % 8 != 0) text.push_back(' ');
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) fail(DN_ERR_IO, "cannot create ", path);
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(uint64_t(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char *>(length), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (size_t i = 0; i < tensors.size(); ++i)
        out.write(static_cast<const char *>(tensors[i].data), std::streamsize(sizes[i]));
    out.flush();
    if (!out) fail(DN_ERR_IO, "cannot write ", path);
}

}  // namespace dn
