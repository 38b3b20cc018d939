#pragma once
/// \file gpu_program.h
/// What every standalone GPU test and benchmark program needs: AICONF_GPU_CHECK (a failed CUDA
/// runtime call prints the call, file:line and CUDA's message, then exits 1: such a program has
/// nothing sensible to do after it), exit_if_no_gpu() (exit code 77, the skip code of the `gpu`
/// ctest label) and GpuBuffer (an owning, untyped device allocation). Header-only host code, usable
/// from .cpp and .cu; mock layers use AICONF_CUDA_CHECK (cuda_check.h) instead, which throws.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <utility>

/// Exits 1 when a CUDA runtime call fails, naming the call, the place and CUDA's error.
#define AICONF_GPU_CHECK(call)                                                                      \
  do {                                                                                              \
    const cudaError_t aiconf_gpu_err_ = (call);                                                     \
    if (aiconf_gpu_err_ != cudaSuccess) {                                                           \
      std::fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,                \
                   cudaGetErrorName(aiconf_gpu_err_), cudaGetErrorString(aiconf_gpu_err_));         \
      std::exit(1);                                                                                 \
    }                                                                                               \
  } while (0)

namespace aiconf::plugins {

/// True when at least one CUDA device is visible.
inline bool gpu_visible() {
  int devices = 0;
  return cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
}

/// Prints "SKIP: no CUDA device" and exits 77 (ctest: skipped) when no GPU is visible.
inline void exit_if_no_gpu() {
  if (gpu_visible()) return;
  std::printf("SKIP: no CUDA device\n");
  std::exit(77);
}

/// Owning device allocation of `bytes` bytes (exits 1 when cudaMalloc fails). Move-only.
struct GpuBuffer {
  void* ptr = nullptr;
  std::size_t bytes = 0;
  GpuBuffer() = default;
  explicit GpuBuffer(std::size_t n) : bytes(n) {
    if (n) AICONF_GPU_CHECK(cudaMalloc(&ptr, n));
  }
  GpuBuffer(const GpuBuffer&) = delete;
  GpuBuffer& operator=(const GpuBuffer&) = delete;
  GpuBuffer(GpuBuffer&& o) noexcept : ptr(std::exchange(o.ptr, nullptr)), bytes(std::exchange(o.bytes, 0)) {}
  GpuBuffer& operator=(GpuBuffer&& o) noexcept {
    std::swap(ptr, o.ptr);
    std::swap(bytes, o.bytes);
    return *this;
  }
  ~GpuBuffer() {
    if (ptr) cudaFree(ptr);
  }
  template <class T> T* as() const { return static_cast<T*>(ptr); }
};

}  // namespace aiconf::plugins
