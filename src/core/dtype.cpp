#include "core/dtype.h"

#include <cmath>

namespace dn {

size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::F32: return 4;
        case DType::BF16: return 2;
        case DType::F16: return 2;
        case DType::I64: return 8;
        case DType::I32: return 4;
    }
    return 0;
}

std::string_view dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::BF16: return "BF16";
        case DType::F16: return "F16";
        case DType::I64: return "I64";
        case DType::I32: return "I32";
    }
    return "?";
}

bool parse_safetensors_dtype(std::string_view text, DType *out) {
    static constexpr struct { std::string_view name; DType dtype; } known[] = {
        {"F32", DType::F32}, {"BF16", DType::BF16}, {"F16", DType::F16},
        {"I64", DType::I64}, {"I32", DType::I32},
    };
    for (const auto &entry : known) {
        if (entry.name == text) {
            *out = entry.dtype;
            return true;
        }
    }
    return false;
}

float f16_to_f32(uint16_t bits) {
    const uint32_t sign = uint32_t(bits & 0x8000u) << 16;
    const uint32_t exponent = (bits >> 10) & 0x1fu;
    const uint32_t mantissa = bits & 0x3ffu;
    float magnitude;
    if (exponent == 0) {
        magnitude = std::ldexp(float(mantissa), -24);
    } else if (exponent == 31) {
        magnitude = mantissa ? NAN : INFINITY;
    } else {
        magnitude = std::ldexp(float(mantissa | 0x400u), int(exponent) - 25);
    }
    uint32_t out;
    std::memcpy(&out, &magnitude, sizeof out);
    out |= sign;
    float value;
    std::memcpy(&value, &out, sizeof value);
    return value;
}

void convert_to_f32(DType dtype, const void *src, float *dst, size_t count) {
    switch (dtype) {
        case DType::F32:
            std::memcpy(dst, src, count * sizeof(float));
            return;
        case DType::BF16: {
            const auto *in = static_cast<const uint16_t *>(src);
            for (size_t i = 0; i < count; ++i) dst[i] = bf16_to_f32(in[i]);
            return;
        }
        case DType::F16: {
            const auto *in = static_cast<const uint16_t *>(src);
            for (size_t i = 0; i < count; ++i) dst[i] = f16_to_f32(in[i]);
            return;
        }
        default:
            return;
    }
}

}  // namespace dn
