#pragma once
/// \file bench_util.h
/// Small pieces every in-tree GPU benchmark repeated: the skip when no GPU is visible (exit code
/// 77, the gpu label's skip code), a CUDA check that aborts the run, the measured ceilings of
/// perfdb/systems/{h200,h100}_sxm.json by device name, and the median-of-replays timing loop.
/// Header-only, host code only (usable from .cpp and .cu benches); link aiconf_bench_util.

#include <aiconf_plugins/gpu_program.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace aiconf::plugins::bench {

/// measured_* of perfdb/systems/<system>.json: bf16 and fp8 dense GEMM TFLOP/s, HBM copy TB/s.
struct MeasuredCeilings {
  const char* system;
  double bf16_tflops, fp8_tflops, hbm_tbps;
};
inline constexpr MeasuredCeilings kH200Ceilings{"h200_sxm", 784.5, 1451.5, 4.21};
inline constexpr MeasuredCeilings kH100Ceilings{"h100_sxm", 779, 1404, 2.97};

/// The ceilings of the card named `device_name` (cudaDeviceProp::name): H200 when the name says
/// H200, else H100 (the only other card these benchmarks target).
inline MeasuredCeilings measured_ceilings(const char* device_name) {
  return std::strstr(device_name, "H200") != nullptr ? kH200Ceilings : kH100Ceilings;
}

/// Median milliseconds of `reps` timed calls of `enqueue()` (which enqueues work on `stream`),
/// CUDA events around each call. When `flush` is given, a memset of its `flush_bytes` bytes runs
/// before each timed call, outside the events, so that every call starts with a cold L2.
/// Warm-up is the caller's business.
template <class Enqueue>
double median_ms(cudaStream_t stream, int reps, Enqueue&& enqueue, void* flush = nullptr, std::size_t flush_bytes = 0) {
  cudaEvent_t a, b;
  AICONF_GPU_CHECK(cudaEventCreate(&a));
  AICONF_GPU_CHECK(cudaEventCreate(&b));
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    if (flush != nullptr) AICONF_GPU_CHECK(cudaMemsetAsync(flush, r & 0xFF, flush_bytes, stream));
    AICONF_GPU_CHECK(cudaEventRecord(a, stream));
    enqueue();
    AICONF_GPU_CHECK(cudaEventRecord(b, stream));
    AICONF_GPU_CHECK(cudaEventSynchronize(b));
    float f = 0;
    AICONF_GPU_CHECK(cudaEventElapsedTime(&f, a, b));
    ms.push_back(f);
  }
  AICONF_GPU_CHECK(cudaEventDestroy(a));
  AICONF_GPU_CHECK(cudaEventDestroy(b));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace aiconf::plugins::bench
