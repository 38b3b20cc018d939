// The read-only L2 flush (see l2_flush.h).
#include "l2_flush.h"

#include <cstdint>

namespace aiconf::collect {

namespace {

__global__ void read_flush_kernel(const uint4* __restrict__ data, std::size_t n, unsigned* sink) {
  unsigned acc = 0;
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x) {
    const uint4 v = data[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = acc;  // never true for the buffer's fill; keeps the loads alive
}

}  // namespace

cudaError_t enqueue_read_flush(const void* buffer, std::size_t bytes, unsigned* sink, cudaStream_t stream) {
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  read_flush_kernel<<<sms * 4, 512, 0, stream>>>(static_cast<const uint4*>(buffer), bytes / sizeof(uint4), sink);
  return cudaGetLastError();
}

}  // namespace aiconf::collect
