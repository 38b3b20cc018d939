#pragma once
/// \file host_copy.h
/// Copying device data back for CPU-reference checks (synchronous on the stream).

#include <aiconf_plugins/cuda_check.h>

#include <cstddef>
#include <vector>

namespace aiconf::plugins {

/// `count` elements of T from device memory, after the stream's earlier work.
template <class T>
std::vector<T> to_host(const void* src, std::size_t count, cudaStream_t stream) {
  std::vector<T> v(count);
  AICONF_CUDA_CHECK(cudaMemcpyAsync(v.data(), src, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  AICONF_CUDA_CHECK(cudaStreamSynchronize(stream));
  return v;
}

}  // namespace aiconf::plugins
