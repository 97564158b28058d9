// Reading and writing the safetensors format: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the tensor bytes. Reading validates everything a
// malformed or hostile file could get wrong before any tensor is touched.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace dn {

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const std::byte *data = nullptr;  // into the mapped file
    uint64_t nbytes = 0;
    std::string file;  // where it came from, for messages

    int64_t numel() const;
};

class SafetensorsFile {
public:
    // Maps and validates `path`. Throws DN_ERR_IO or DN_ERR_MALFORMED_FILE (with the reason).
    explicit SafetensorsFile(const std::string &path);
    // Validates `size` bytes at `data`, which the caller keeps alive and unchanged while this object
    // lives (the tensor views point into them); `source` names them in messages. The parser on a plain
    // buffer, for tests and fuzzing. Throws DN_ERR_MALFORMED_FILE or DN_ERR_UNSUPPORTED.
    SafetensorsFile(const std::byte *data, size_t size, const std::string &source);

    const std::map<std::string, TensorView> &tensors() const { return tensors_; }
    const std::map<std::string, std::string> &metadata() const { return metadata_; }
    const TensorView *find(const std::string &name) const;

private:
    void parse(const std::byte *data, size_t size, const std::string &source);

    std::unique_ptr<MappedFile> file_;
    std::map<std::string, TensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

// A tensor to write: `data` holds numel * dtype_size bytes.
struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void *data = nullptr;
};

// Writes a safetensors file (tensors in the given order, 8-byte aligned header). Throws DN_ERR_IO.
void write_safetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                       const std::map<std::string, std::string> &metadata = {{"format", "pt"}});

}  // namespace dn
