#pragma once
/// CPU reference of the per-tensor e4m3 quantization (include/aiconf/flash_attention/fp8_quantize.h):
/// encode/decode of e4m3 (OCP "fn": bias 7, no infinities, 448 the largest finite value, 0x7F/0xFF
/// NaN) and the quantization of one value with the kernel's fp32 operations. Header only, shared by
/// the GPU test and the attention mock layer's check.
#include <cmath>
#include <cstdint>

namespace aiconf::flash_attention::reference {

/// float -> e4m3 bits, round to nearest even, saturating to +-448 (NaN -> 0x7F), like
/// cvt.rn.satfinite.e4m3x2.f32.
inline std::uint8_t float_to_e4m3(float x) {
  if (std::isnan(x)) return 0x7F;
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  const float a = std::fabs(x);
  if (a >= 448.f) return sign | 0x7E;
  // Subnormals (|x| < 2^-6): steps of 2^-9; q = 8 lands exactly on the smallest normal (code 8).
  if (a < 0x1p-6f) return sign | static_cast<std::uint8_t>(std::nearbyint(a * 0x1p9f));
  int e = 0;
  const float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  e -= 1;                             // a = (2m) * 2^e, 2m in [1, 2)
  int q = static_cast<int>(std::nearbyint((2.f * m - 1.f) * 8.f));  // exact scaling, so RNE is the only rounding
  if (q == 8) q = 0, ++e;
  const int code = ((e + 7) << 3) | q;
  return sign | static_cast<std::uint8_t>(code > 0x7E ? 0x7E : code);
}

/// e4m3 bits -> float (exact).
inline float e4m3_to_float(std::uint8_t b) {
  const int exp = (b >> 3) & 0xF, man = b & 7;
  if (exp == 15 && man == 7) return NAN;
  const float mag = exp == 0 ? std::ldexp(static_cast<float>(man), -9) : std::ldexp(1.f + man / 8.f, exp - 7);
  return (b & 0x80) ? -mag : mag;
}

/// The kernel's quantization of one value with dequantization scale `scale`:
/// e4m3(x * (1 / scale)), both operations in fp32.
inline std::uint8_t quantize_e4m3(float x, float scale) {
  const float inv = 1.f / scale;
  return float_to_e4m3(x * inv);
}

/// Whether `got` (e4m3 bits) is an acceptable quantization of x: |dequantized - x| within half an
/// e4m3 step, i.e. 2^-4 relative for normals (3 mantissa bits) and 2^-10 * scale absolute in the
/// subnormal range, plus fp32 slack for the reciprocal; saturation at 448 * scale is exact.
inline bool e4m3_within_bound(float x, std::uint8_t got, float scale) {
  const float deq = e4m3_to_float(got) * scale;
  if (std::isnan(deq)) return false;
  const float lim = 448.f * scale;
  const float target = std::fabs(x) >= lim ? std::copysign(lim, x) : x;
  const double bound = std::fmax(std::fabs(static_cast<double>(target)) * 0x1p-4, 0x1p-10 * scale) * (1 + 1e-6);
  return std::fabs(static_cast<double>(deq) - target) <= bound;
}

}  // namespace aiconf::flash_attention::reference
