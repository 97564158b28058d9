// A read-only memory map of a whole file (weights are used in place, never copied on the CPU).
#pragma once

#include <cstddef>
#include <string>

namespace dn {

class MappedFile {
public:
    // Throws dn::Error(DN_ERR_IO) naming the path when the file cannot be opened or mapped.
    explicit MappedFile(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::byte *data() const { return data_; }
    size_t size() const { return size_; }
    const std::string &path() const { return path_; }

private:
    std::string path_;
    const std::byte *data_ = nullptr;
    size_t size_ = 0;
};

// Reads a whole (small) file, such as config.json. Throws DN_ERR_IO.
std::string read_text_file(const std::string &path);

}  // namespace dn
