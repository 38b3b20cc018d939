#pragma once
// Thin wrappers over the sm_90a instructions the indexer kernel uses: mbarriers, TMA tensor
// loads, warpgroup register reallocation and FP8 wgmma (m64nNk32, both operands K-major in
// shared memory with the 128-byte swizzle written by TMA).
#include <cstdint>

#include <cuda.h>

#include <aiconf_plugins/hopper_primitives.cuh>

namespace aiconf::dsa::sm90 {

// Shared with the other sm_90a kernels (plugins/common/cuda/include/aiconf_plugins/hopper_primitives.cuh).
using aiconf::plugins::hopper::fence_barrier_init;
using aiconf::plugins::hopper::mbar_arrive;
using aiconf::plugins::hopper::mbar_init;
using aiconf::plugins::hopper::mbar_wait;
using aiconf::plugins::hopper::smem_u32;

__device__ __forceinline__ void mbar_arrive_expect_tx(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_u32(bar)), "r"(bytes)
               : "memory");
}
// TMA tile loads completing on an mbarrier (transaction bytes).
__device__ __forceinline__ void tma_load_2d(void* dst, const CUtensorMap* map, uint64_t* bar, int c0, int c1) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(
          smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(smem_u32(bar))
      : "memory");
}
__device__ __forceinline__ void tma_load_3d(void* dst, const CUtensorMap* map, uint64_t* bar, int c0, int c1,
                                            int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];" ::"r"(
          smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(smem_u32(bar))
      : "memory");
}
__device__ __forceinline__ void prefetch_tma_map(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

using aiconf::plugins::hopper::fence_operands;
using aiconf::plugins::hopper::setmaxnreg_dec;
using aiconf::plugins::hopper::setmaxnreg_inc;
using aiconf::plugins::hopper::wgmma_commit;
using aiconf::plugins::hopper::wgmma_fence;
using aiconf::plugins::hopper::wgmma_wait;

// Shared-memory matrix descriptor: K-major tile whose rows are 128 bytes, 128-byte swizzle,
// 8-row core groups 1024 bytes apart (SBO). LBO is unused for swizzled K-major layouts.
__device__ __forceinline__ uint64_t make_smem_desc_sw128(uint32_t smem_addr) {
  uint64_t d = 0;
  d |= static_cast<uint64_t>((smem_addr & 0x3FFFF) >> 4);
  d |= static_cast<uint64_t>(1) << 16;
  d |= static_cast<uint64_t>(1024 >> 4) << 32;
  d |= static_cast<uint64_t>(1) << 62;
  return d;
}

}  // namespace aiconf::dsa::sm90
