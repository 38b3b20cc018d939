#pragma once
/// \file block_absmax.cuh
/// The end of a per-tensor amax kernel (FP8 scale calibration): each thread brings the largest |x|
/// it saw, the block reduces them and one thread folds the block's maximum into *amax, which the
/// caller zeroed before the launch.

namespace aiconf::plugins {

/// Reduces `m` (>= 0) over a block of kThreads threads (a multiple of 32) and atomically maxes the
/// result into *amax. Every thread of the block must call it (it synchronizes the block).
template <int kThreads>
__device__ __forceinline__ void block_absmax_into(float m, float* amax) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, one block");
  for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
  __shared__ float red[kThreads / 32];
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = m;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w) m = fmaxf(m, red[w]);
    // Non-negative floats order like their bit patterns, so an integer max is a float max.
    atomicMax(reinterpret_cast<unsigned int*>(amax), __float_as_uint(m));
  }
}

}  // namespace aiconf::plugins
