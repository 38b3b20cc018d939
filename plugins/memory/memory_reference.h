#pragma once
/// \file memory_reference.h
/// CPU references of the memory-bound mock layers (fp64 arithmetic), and the number formats they
/// decode. Host-only, so they are tested without a GPU.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aiconf::memory::reference {

/// bf16 bits -> value.
double bf16_value(std::uint16_t bits);
/// FP8 e4m3fn bits -> value (0x7F / 0xFF are NaN).
double e4m3_value(std::uint8_t bits);
/// Largest finite e4m3fn value.
constexpr double kE4m3Max = 448.0;

/// RMSNorm of one row: x * w / sqrt(mean(x^2) + eps).
std::vector<double> rms_norm_row(const std::vector<double>& x, const std::vector<double>& w, double eps);
/// SiLU(gate) * up of one element.
double silu_mul(double gate, double up);
/// The fp32 scale of one quantization group: amax / 448, or 1 for an all-zero group (what the
/// kernel uses, so a zero group quantizes to zeros instead of NaN).
double group_scale(const double* x, std::size_t n);

/// |got - ref| within `rel` * |ref| + `abs`; NaN fails.
inline bool close(double got, double ref, double rel, double abs) {
  const double d = got - ref;
  return (d < 0 ? -d : d) <= rel * (ref < 0 ? -ref : ref) + abs;
}

/// Tolerance of a value rounded to bf16 from an fp32 computation: one bf16 ulp (2^-7 relative at
/// worst) and a small absolute floor for results near zero.
constexpr double kBf16Rel = 1.0 / 128, kBf16Abs = 1e-6;
/// FP8 e4m3 rounding: 3 mantissa bits (2^-4 relative at worst), subnormal step 2^-9.
constexpr double kE4m3Rel = 1.0 / 16, kE4m3Abs = 1.0 / 512;

}  // namespace aiconf::memory::reference
