#pragma once
/// \file cuda_check.h
/// Checking CUDA calls inside mock layers: every failure becomes an aiconf::Error that names the
/// call, the file:line and CUDA's message (the mock layer base turns it into a Status).

#include <aiconf/status.h>

#include <cuda_runtime_api.h>

#include <string>

namespace aiconf::plugins {

[[noreturn]] inline void throw_cuda_error(cudaError_t e, const char* what, const char* file, int line) {
  throw Error(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " + cudaGetErrorName(e) + " (" +
              cudaGetErrorString(e) + ")");
}

}  // namespace aiconf::plugins

/// Throws aiconf::Error when a CUDA runtime call fails.
#define AICONF_CUDA_CHECK(call)                                                        \
  do {                                                                                 \
    cudaError_t aiconf_cuda_err_ = (call);                                             \
    if (aiconf_cuda_err_ != cudaSuccess)                                               \
      ::aiconf::plugins::throw_cuda_error(aiconf_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)
