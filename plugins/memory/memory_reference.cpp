#include "memory_reference.h"

#include <cmath>
#include <cstring>

namespace aiconf::memory::reference {

double bf16_value(std::uint16_t bits) {
  const std::uint32_t w = std::uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &w, 4);
  return f;
}

double e4m3_value(std::uint8_t bits) {
  const int sign = bits >> 7, exp = (bits >> 3) & 15, mant = bits & 7;
  if (exp == 15 && mant == 7) return NAN;
  const double v = exp == 0 ? std::ldexp(mant, -9) : std::ldexp(8 + mant, exp - 10);  // bias 7, 3 mantissa bits
  return sign ? -v : v;
}

std::vector<double> rms_norm_row(const std::vector<double>& x, const std::vector<double>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
  return y;
}

double silu_mul(double gate, double up) { return gate / (1.0 + std::exp(-gate)) * up; }

double group_scale(const double* x, std::size_t n) {
  double amax = 0;
  for (std::size_t i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  return amax > 0 ? amax / kE4m3Max : 1.0;
}

}  // namespace aiconf::memory::reference
