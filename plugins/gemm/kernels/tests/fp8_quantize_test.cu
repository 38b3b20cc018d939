// GPU test of quantize_fp8_per_token_group against a host reference doing the same float ops.
// Exit 0 pass, 1 fail, 77 no CUDA device.
#include <aiconf/gemm/fp8_quantize.h>
#include <aiconf/gemm/random_fill.h>

#include "test_util.h"

using namespace aiconf::gemm;
using namespace aiconf::gemm::test;

namespace {

bool run_case(std::int64_t m, std::int64_t k, cudaStream_t stream) {
  const std::uint64_t seed = fresh_seed();
  void* x = nullptr;
  std::uint8_t* q = nullptr;
  float* s = nullptr;
  const std::int64_t ld = act_scale_ld(m), groups = (k + 127) / 128, n_scales = act_scale_elems(m, k);
  AICONF_GPU_CHECK(cudaMalloc(&x, m * k * 2));
  AICONF_GPU_CHECK(cudaMalloc(&q, m * k));
  AICONF_GPU_CHECK(cudaMalloc(&s, n_scales * sizeof(float)));
  // Rows with very different magnitudes, so a scale taken from the wrong group is visible.
  AICONF_GPU_CHECK(fill_random_bf16(x, m * k, seed, -3.f, 3.f, stream));
  AICONF_GPU_CHECK(cudaMemsetAsync(q, 0x7F, m * k, stream));                   // 0x7F is e4m3 NaN: poison
  AICONF_GPU_CHECK(cudaMemsetAsync(s, 0xFF, n_scales * sizeof(float), stream));  // NaN poison
  auto xh = to_host<std::uint16_t>(x, m * k);
  // Scale each row by 2^(row % 9 - 4) on the host copy and upload it back.
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t p = 0; p < k; ++p) {
      float f = bf16_to_float(xh[i * k + p]) * std::ldexp(1.0f, static_cast<int>(i % 9) - 4);
      if (i == 1 && p < 128) f = 0.f;  // one all-zero group: the amax floor must keep it finite
      __nv_bfloat16 b = __float2bfloat16(f);
      std::memcpy(&xh[i * k + p], &b, 2);
    }
  AICONF_GPU_CHECK(cudaMemcpy(x, xh.data(), m * k * 2, cudaMemcpyHostToDevice));
  AICONF_GPU_CHECK(quantize_fp8_per_token_group(x, q, s, m, k, stream));
  AICONF_GPU_CHECK(cudaStreamSynchronize(stream));
  const auto qh = to_host<std::uint8_t>(q, m * k);
  const auto sh = to_host<float>(s, n_scales);

  std::int64_t bad_scale = 0, bad_q = 0, pad_bad = 0;
  double err2 = 0, ref2 = 0;
  for (std::int64_t i = 0; i < ld; ++i)
    for (std::int64_t g = 0; g < groups; ++g) {
      const float got = sh[g * ld + i];
      if (i >= m) {
        pad_bad += got == 1.0f ? 0 : 1;
        continue;
      }
      const std::int64_t end = std::min<std::int64_t>(k, (g + 1) * 128);
      float amax = 0;
      for (std::int64_t p = g * 128; p < end; ++p) amax = std::max(amax, std::fabs(bf16_to_float(xh[i * k + p])));
      const float scale = std::max(amax, 1e-4f) / kE4m3Max;
      bad_scale += got == scale ? 0 : 1;
      for (std::int64_t p = g * 128; p < end; ++p) {
        const float v = bf16_to_float(xh[i * k + p]);
        const std::uint8_t want = __nv_cvt_float_to_fp8(v / scale, __NV_SATFINITE, __NV_E4M3);
        bad_q += qh[i * k + p] == want ? 0 : 1;
        const double deq = static_cast<double>(e4m3_to_float(qh[i * k + p])) * got;
        err2 += (deq - v) * (deq - v);
        ref2 += static_cast<double>(v) * v;
      }
    }
  const double rel = std::sqrt(err2 / ref2);
  // e4m3 keeps 3 mantissa bits: round-trip error of uniform data is a few percent at most.
  const bool ok = bad_scale == 0 && bad_q == 0 && pad_bad == 0 && rel < 5e-2;
  std::printf("%s quantize m=%lld k=%lld: %lld scale / %lld byte mismatches, %lld bad pad scales, round-trip rel_err=%.3e\n",
              ok ? "PASS" : "FAIL", static_cast<long long>(m), static_cast<long long>(k),
              static_cast<long long>(bad_scale), static_cast<long long>(bad_q), static_cast<long long>(pad_bad), rel);
  cudaFree(x);
  cudaFree(q);
  cudaFree(s);
  return ok;
}

}  // namespace

int main() {
  require_device_or_skip();
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreate(&stream));
  int failures = 0;
  failures += run_case(1, 7168, stream) ? 0 : 1;
  failures += run_case(7, 2048, stream) ? 0 : 1;
  failures += run_case(130, 1040, stream) ? 0 : 1;  // partial last group
  failures += run_case(1024, 7168, stream) ? 0 : 1;
  // Contract: k % 8 != 0 is refused, not silently mis-quantized.
  if (quantize_fp8_per_token_group(reinterpret_cast<void*>(256), reinterpret_cast<std::uint8_t*>(256),
                                   reinterpret_cast<float*>(256), 4, 100, stream) != cudaErrorInvalidValue) {
    std::printf("FAIL quantize accepted k=100\n");
    ++failures;
  }
  AICONF_GPU_CHECK(cudaStreamDestroy(stream));
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "ALL PASSED", failures);
  return failures ? 1 : 0;
}
