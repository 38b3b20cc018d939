// GPU check of the FP8 dequantization the producer uses (dequant16), on every e4m3 value (NaN codes
// excepted) times a few thousand random scales, against the reference's bf16(fl32(e4m3 * scale)):
// it must match exactly (the whole-kernel cases could hide a rare off-by-one-ulp value).
#pragma once
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <aiconf_plugins/gpu_program.h>

#include "../reference/sparse_mla_reference.h"
#include "../src/sparse_mla_common.cuh"

namespace aiconf::sparse_mla::testing {

/// Block s dequantizes all 256 byte codes with scales[s]: thread t holds codes 16t..16t+15.
__global__ void dequant_kernel(const float* scales, uint16_t* out) {
  const int t = threadIdx.x, s = blockIdx.x;
  uint32_t w[4];
  for (int k = 0; k < 4; ++k) {
    const uint32_t c = 16 * t + 4 * k;
    w[k] = c | (c + 1) << 8 | (c + 2) << 16 | (c + 3) << 24;
  }
  const uint4 raw = make_uint4(w[0], w[1], w[2], w[3]);
  uint4 bf16[2];
  detail::dequant16(raw, scales[s], bf16[0], bf16[1]);
  std::memcpy(out + s * 256 + 16 * t, bf16, 32);
}

/// Runs the check; prints one line and returns whether it passed.
inline bool check_fp8_dequant(uint64_t seed) {
  // Scales log-uniform from 2^-30 to 2^30, and the typical amax / 448 of a cache row.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> log2s(-30.f, 30.f);
  std::vector<float> scales(4096);
  for (size_t i = 0; i < scales.size(); ++i)
    scales[i] = i % 2 ? std::exp2(log2s(rng)) : std::uniform_real_distribution<float>(0.5f, 5.f)(rng) / 448.f;
  const size_t n = scales.size() * 256;
  plugins::GpuBuffer d_scales(scales.size() * 4), d_out(n * 2);
  AICONF_GPU_CHECK(cudaMemcpy(d_scales.ptr, scales.data(), scales.size() * 4, cudaMemcpyHostToDevice));
  dequant_kernel<<<static_cast<unsigned>(scales.size()), 16>>>(d_scales.as<float>(), d_out.as<uint16_t>());
  AICONF_GPU_CHECK(cudaGetLastError());
  std::vector<uint16_t> out(n);
  AICONF_GPU_CHECK(cudaMemcpy(out.data(), d_out.ptr, n * 2, cudaMemcpyDeviceToHost));
  size_t checked = 0, wrong = 0;
  for (size_t s = 0; s < scales.size(); ++s)
    for (int code = 0; code < 256; ++code) {
      if ((code & 0x7F) == 0x7F) continue;  // NaN: not a cache value
      const uint16_t ref = reference::float_to_bf16(reference::fp8_e4m3_to_float(uint8_t(code)) * scales[s]);
      const uint16_t got = out[s * 256 + code];
      ++checked;
      // Bits must match; -0 and +0 count as equal (both are the reference's 0 times a scale).
      if (got != ref && ((got | ref) & 0x7FFF) != 0 && ++wrong <= 3)
        std::printf("  code 0x%02x scale %a: reference 0x%04x, kernel 0x%04x\n", code, scales[s], ref, got);
    }
  const bool pass = wrong == 0;
  std::printf("fp8 dequant: %zu values, %zu differ from the reference: %s\n", checked, wrong, pass ? "PASS" : "FAIL");
  return pass;
}

}  // namespace aiconf::sparse_mla::testing
