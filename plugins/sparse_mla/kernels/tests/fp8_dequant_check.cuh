// GPU check of the two FP8 dequantizations the producer uses, on every e4m3 value (NaN codes
// excepted) times a few thousand random scales, against the reference's bf16(fl32(e4m3 * scale)):
// dequant16 must match exactly, dequant16_split within one bf16 ulp and only rarely off at all
// (the CPU emulation of it found 0.05% of the values one ulp off).
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <aiconf_plugins/gpu_program.h>

#include "../reference/sparse_mla_reference.h"
#include "../src/sparse_mla_common.cuh"

namespace aiconf::sparse_mla::testing {

/// Block s dequantizes all 256 byte codes with scales[s]: thread t holds codes 16t..16t+15.
__global__ void dequant_both_kernel(const float* scales, uint16_t* exact, uint16_t* split) {
  const int t = threadIdx.x, s = blockIdx.x;
  uint32_t w[4];
  for (int k = 0; k < 4; ++k) {
    const uint32_t c = 16 * t + 4 * k;
    w[k] = c | (c + 1) << 8 | (c + 2) << 16 | (c + 3) << 24;
  }
  const uint4 raw = make_uint4(w[0], w[1], w[2], w[3]);
  uint4 out[2];
  detail::dequant16(raw, scales[s], out[0], out[1]);
  std::memcpy(exact + s * 256 + 16 * t, out, 32);
  detail::dequant16_split(raw, detail::split_scale(scales[s]), out[0], out[1]);
  std::memcpy(split + s * 256 + 16 * t, out, 32);
}

/// bf16 bits -> an integer that steps by one per representable value across zero (+0 and -0 equal).
inline int ordered_bf16(uint16_t b) { return (b & 0x8000) ? -int(b & 0x7FFF) : int(b); }

/// Runs the check; prints one line and returns whether it passed.
inline bool check_fp8_dequant(uint64_t seed) {
  // Scales from 2^-30 to just under the split limit (log-uniform), plus the typical amax / 448.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> log2s(-30.f, std::log2(detail::kSplitScaleLimit));
  std::vector<float> scales(4096);
  for (size_t i = 0; i < scales.size(); ++i)
    scales[i] = i % 2 ? std::exp2(log2s(rng)) : std::uniform_real_distribution<float>(0.5f, 5.f)(rng) / 448.f;
  scales.back() = std::nextafter(detail::kSplitScaleLimit, 0.f);
  const size_t n = scales.size() * 256;
  plugins::GpuBuffer d_scales(scales.size() * 4), d_exact(n * 2), d_split(n * 2);
  AICONF_GPU_CHECK(cudaMemcpy(d_scales.ptr, scales.data(), scales.size() * 4, cudaMemcpyHostToDevice));
  dequant_both_kernel<<<static_cast<unsigned>(scales.size()), 16>>>(d_scales.as<float>(), d_exact.as<uint16_t>(),
                                                                   d_split.as<uint16_t>());
  AICONF_GPU_CHECK(cudaGetLastError());
  std::vector<uint16_t> exact(n), split(n);
  AICONF_GPU_CHECK(cudaMemcpy(exact.data(), d_exact.ptr, n * 2, cudaMemcpyDeviceToHost));
  AICONF_GPU_CHECK(cudaMemcpy(split.data(), d_split.ptr, n * 2, cudaMemcpyDeviceToHost));
  size_t checked = 0, exact_wrong = 0, split_off = 0, split_far = 0;
  for (size_t s = 0; s < scales.size(); ++s)
    for (int code = 0; code < 256; ++code) {
      if ((code & 0x7F) == 0x7F) continue;  // NaN: not a cache value
      const uint16_t ref = reference::float_to_bf16(reference::fp8_e4m3_to_float(uint8_t(code)) * scales[s]);
      const size_t i = s * 256 + code;
      ++checked;
      exact_wrong += ordered_bf16(exact[i]) != ordered_bf16(ref);
      const int d = std::abs(ordered_bf16(split[i]) - ordered_bf16(ref));
      split_off += d != 0;
      split_far += d > 1;
      if ((ordered_bf16(exact[i]) != ordered_bf16(ref) || d > 1) && exact_wrong + split_far <= 3)
        std::printf("  code 0x%02x scale %a: reference 0x%04x exact 0x%04x split 0x%04x\n", code, scales[s], ref,
                    exact[i], split[i]);
    }
  const double off_frac = double(split_off) / double(checked);
  const bool pass = exact_wrong == 0 && split_far == 0 && off_frac < 0.005;
  std::printf("fp8 dequant: %zu values; exact path %zu wrong; split path %zu (%.3f%%) one ulp off, %zu further: %s\n",
              checked, exact_wrong, split_off, 100.0 * off_frac, split_far, pass ? "PASS" : "FAIL");
  return pass;
}

}  // namespace aiconf::sparse_mla::testing
