#pragma once
/// CPU reference of one attention row (double accumulation), shared by the kernel test and the
/// attention / MLA mock layers. Header only.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace aiconf::flash_attention::reference {

/// bf16 bits -> float (exact).
inline float bf16_to_float(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// float -> bf16 bits, round to nearest even (inputs are finite here).
inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFF + ((u >> 16) & 1);
  return static_cast<std::uint16_t>(u >> 16);
}

/// out[0..dv) = softmax_j(scale * q . k_j) v_j over keys j in [0, n_keys); returns the natural-log
/// sum of exponentials (lse). k_j = k + j * ldk (dqk values), v_j = v + j * ldv (dv values).
/// n_keys = 0 gives out = 0 and lse = -inf.
inline double attention_row(const float* q, const float* k, std::size_t ldk, const float* v, std::size_t ldv, int n_keys,
                            int dqk, int dv, double scale, double* out) {
  for (int d = 0; d < dv; ++d) out[d] = 0.0;
  if (n_keys <= 0) return -std::numeric_limits<double>::infinity();
  std::vector<double> s(static_cast<std::size_t>(n_keys));
  double mx = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < n_keys; ++j) {
    const float* kj = k + j * ldk;
    double acc = 0.0;
    for (int d = 0; d < dqk; ++d) acc += static_cast<double>(q[d]) * kj[d];
    s[j] = acc * scale;
    mx = s[j] > mx ? s[j] : mx;
  }
  double sum = 0.0;
  for (int j = 0; j < n_keys; ++j) {
    const double e = std::exp(s[j] - mx);
    sum += e;
    const float* vj = v + j * ldv;
    for (int d = 0; d < dv; ++d) out[d] += e * vj[d];
  }
  for (int d = 0; d < dv; ++d) out[d] /= sum;
  return mx + std::log(sum);
}

}  // namespace aiconf::flash_attention::reference
