#pragma once
// CHECK for CUDA calls in the test and bench programs: prints file:line and the error string.

#include <cstdio>
#include <cstdlib>

#include <cuda_runtime.h>

#define CHECK(call)                                                                   \
  do {                                                                                \
    const cudaError_t check_err_ = (call);                                            \
    if (check_err_ != cudaSuccess) {                                                  \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,       \
                   cudaGetErrorString(check_err_));                                   \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

// Exit code 77 tells ctest the test was skipped (no CUDA device on this machine).
inline void exit_if_no_cuda_device() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    std::printf("no CUDA device: skipped\n");
    std::exit(77);
  }
}
