#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace dn {

MappedFile::MappedFile(const std::string &path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(DN_ERR_IO, "cannot open ", path, ": ", std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        fail(DN_ERR_IO, path, " is not a regular file");
    }
    size_ = size_t(info.st_size);
    if (size_ > 0) {
        void *mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            fail(err == ENOMEM ? DN_ERR_OUT_OF_MEMORY : DN_ERR_IO, "cannot map ", path, ": ",
                 std::strerror(err));
        }
        data_ = static_cast<const std::byte *>(mapped);
    }
    ::close(fd);
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<std::byte *>(data_), size_);
}

std::string read_text_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(DN_ERR_IO, "cannot open ", path, ": ", std::strerror(errno));
    // Read in blocks into a string (not `stream << rdbuf()`, which would turn an allocation failure
    // into a silently shortened text).
    std::string text;
    char block[65536];
    while (in.read(block, sizeof block) || in.gcount() > 0) text.append(block, size_t(in.gcount()));
    if (in.bad()) fail(DN_ERR_IO, "cannot read ", path);
    return text;
}

}  // namespace dn
