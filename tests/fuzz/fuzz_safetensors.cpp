// libFuzzer target: the safetensors reader (8-byte header length, JSON header, tensor table) on any
// bytes. It must refuse bad input with DN_ERR_MALFORMED_FILE / DN_ERR_UNSUPPORTED, and every tensor
// it accepts must lie inside the buffer (ASan sees a read past it: libFuzzer's copy is exact-sized).
#include <cstddef>
#include <cstdint>

#include "core/safetensors.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dnfuzz::expect_clean(
        [&] {
            const dn::SafetensorsFile file(reinterpret_cast<const std::byte *>(data), size, "fuzz.safetensors");
            volatile unsigned sink = 0;
            for (const auto &[name, t] : file.tensors()) {
                if (uint64_t(t.numel()) * dn::dtype_size(t.dtype) != t.nbytes) dnfuzz::bug("size", name.c_str());
                if (t.nbytes) sink = sink + unsigned(t.data[0]) + unsigned(t.data[t.nbytes - 1]);
            }
        },
        {DN_ERR_MALFORMED_FILE, DN_ERR_UNSUPPORTED});
    return 0;
}
