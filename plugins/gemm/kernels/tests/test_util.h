#pragma once
// Shared helpers of the GEMM GPU tests: checked CUDA calls, device discovery (exit 77 without a
// device), host decoding of bf16/e4m3, a parallel loop for CPU references.
#include <cuda_bf16.h>
#include <aiconf_plugins/gpu_program.h>
#include <cuda_fp8.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace aiconf::gemm::test {

// 77 tells ctest "skipped": no CUDA device on this machine.
inline void require_device_or_skip() {
  aiconf::plugins::exit_if_no_gpu();
  cudaDeviceProp p{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&p, 0));
  std::printf("device: %s (sm_%d%d, %d SMs)\n", p.name, p.major, p.minor, p.multiProcessorCount);
}

inline std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

inline float bf16_to_float(std::uint16_t bits) {
  std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float e4m3_to_float(std::uint8_t byte) {
  __nv_fp8_e4m3 v;
  v.__x = byte;
  return static_cast<float>(v);
}

// Runs body(i) for i in [0, n) over all host cores.
inline void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& body) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::int64_t i = t; i < n; i += threads) body(i);
    });
  for (auto& th : pool) th.join();
}

template <typename T>
std::vector<T> to_host(const void* dev, std::size_t count) {
  std::vector<T> h(count);
  AICONF_GPU_CHECK(cudaMemcpy(h.data(), dev, count * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}

}  // namespace aiconf::gemm::test
