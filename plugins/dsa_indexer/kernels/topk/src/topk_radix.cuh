#pragma once
// Device helpers for the radix-select top-k: order-preserving keys, warp-aggregated appends and
// the block-wide search for the bucket that holds the k-th largest element.

#include <cstdint>

#include <cuda_fp16.h>

namespace aiconf::dsa::detail {

constexpr unsigned kFullMask = 0xffffffffu;

// fp32 bits made order-preserving as uint32: larger float -> larger key (-0 < +0, NaN above +inf).
__device__ __forceinline__ uint32_t float_key(float x) {
  const uint32_t u = __float_as_uint(x);
  return u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
}

// First-pass bucket: top 11 bits of the order-preserving fp16 key. fp16 keeps 5 exponent bits and
// 5 mantissa bits in 11 bits, so typical logits spread over hundreds of buckets instead of the
// handful the top 11 fp32 bits would give. Round-to-nearest is monotone, so buckets are
// contiguous value ranges consistent with float_key order.
__device__ __forceinline__ int bucket0(float x) {
  const uint32_t h = __half_as_ushort(__float2half_rn(x));
  const uint32_t key16 = h ^ ((h & 0x8000u) ? 0xffffu : 0x8000u);
  return static_cast<int>(key16 >> 5);
}

// Appends one item per lane with `pred` to a shared counter; returns this lane's slot (or garbage
// if !pred). All 32 lanes of the warp must call it together.
__device__ __forceinline__ int warp_append(bool pred, int* counter) {
  const unsigned m = __ballot_sync(kFullMask, pred);
  if (m == 0) return 0;
  const int lane = threadIdx.x & 31;
  const int leader = __ffs(m) - 1;
  int base = 0;
  if (lane == leader) base = atomicAdd(counter, __popc(m));
  base = __shfl_sync(kFullMask, base, leader);
  return base + __popc(m & ((1u << lane) - 1u));
}

// Reserves `count` consecutive slots per lane from a shared counter with one atomic per warp
// (per-element atomics on one hot counter serialize across warps). All 32 lanes must call it;
// returns this lane's first slot.
__device__ __forceinline__ int warp_reserve(int count, int* counter) {
  const int lane = threadIdx.x & 31;
  int incl = count;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int n = __shfl_up_sync(kFullMask, incl, o);
    if (lane >= o) incl += n;
  }
  int base = 0;
  if (lane == 31) base = atomicAdd(counter, incl);
  base = __shfl_sync(kFullMask, base, 31);
  return base + incl - count;
}

// Finds the largest bucket t with sum(hist[t..nb)) >= k_rem. Writes t to *thr and
// sum(hist[t+1..nb)) to *above. Requires sum(hist) >= k_rem >= 1. Ends with __syncthreads().
// `scratch` holds BLOCK/32 ints.
template <int BLOCK>
__device__ void find_threshold(const int* hist, int nb, int k_rem, int* scratch, int* thr,
                               int* above) {
  const int per = nb / BLOCK;  // nb is 1024 or 2048, BLOCK 512 or 1024: 1, 2 or 4
  const int hi = nb - 1 - threadIdx.x * per;  // this thread owns bins hi, hi-1, ..., hi-per+1
  int s = 0;
  for (int j = 0; j < per; ++j) s += hist[hi - j];
  // Inclusive warp scan, then a scan over warp totals: bins are ordered top-down by thread id.
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int incl = s;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int n = __shfl_up_sync(kFullMask, incl, o);
    if (lane >= o) incl += n;
  }
  if (lane == 31) scratch[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    int w = lane < BLOCK / 32 ? scratch[lane] : 0;
    int wi = w;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
      const int n = __shfl_up_sync(kFullMask, wi, o);
      if (lane >= o) wi += n;
    }
    if (lane < BLOCK / 32) scratch[lane] = wi - w;  // exclusive prefix over warps
  }
  __syncthreads();
  int acc = scratch[warp] + incl - s;  // elements in bins above this thread's bins
  if (acc < k_rem && acc + s >= k_rem) {
    for (int j = 0; j < per; ++j) {
      const int c = hist[hi - j];
      if (acc + c >= k_rem) {
        *thr = hi - j;
        *above = acc;
        break;
      }
      acc += c;
    }
  }
  __syncthreads();
}

}  // namespace aiconf::dsa::detail
