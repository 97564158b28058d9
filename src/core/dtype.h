// Element types of stored tensors and conversions between them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace dn {

enum class DType { F32, BF16, F16, I64, I32 };

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);
// Parses a safetensors dtype string ("F32", "BF16", ...); returns false for one we do not read.
bool parse_safetensors_dtype(std::string_view text, DType *out);

inline float bf16_to_f32(uint16_t bits) {
    uint32_t widened = uint32_t(bits) << 16;
    float value;
    std::memcpy(&value, &widened, sizeof value);
    return value;
}

// Round to nearest even, as PyTorch does; NaN stays NaN.
inline uint16_t f32_to_bf16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return uint16_t(bits >> 16);
}

float f16_to_f32(uint16_t bits);

// Widen `count` elements of `dtype` (F32, BF16 or F16) at `src` to float32.
void convert_to_f32(DType dtype, const void *src, float *dst, size_t count);

}  // namespace dn
