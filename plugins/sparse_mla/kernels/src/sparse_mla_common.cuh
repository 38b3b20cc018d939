// Device helpers shared by the sparse MLA kernels: cache row addressing, FP8 dequantization and the
// Hopper primitives (cp.async, descriptors, barriers, fences). The primitives come from the shared
// plugins/common/cuda/include/aiconf_plugins/hopper_primitives.cuh (same PTX as the copies this
// file used to hold); only the two whose signature differs there stay here.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <aiconf_plugins/hopper_primitives.cuh>

#include "aiconf/sparse_mla/sparse_mla.h"

namespace aiconf::sparse_mla::detail {

constexpr int kDqk = 576;
constexpr int kDv = 512;
constexpr int kFp8LatentBytes = 512;  // e4m3 latent values
constexpr int kFp8ScaleBytes = 16;    // 4 fp32 scales, one per 128 latent values
constexpr int kFp8RowBytes = 656;

/// Row number (in cache rows) of key `idx` of sequence `seq`, or -1 when the slot is to be skipped.
__device__ __forceinline__ int64_t kv_row_of(const SparseMlaParams& p, int seq, int idx) {
  if (idx < 0 || idx >= p.kv_seq_len) return -1;
  if (p.block_table != nullptr) {
    const int block = p.block_table[static_cast<int64_t>(seq) * p.block_table_stride + idx / p.page_size];
    return static_cast<int64_t>(block) * p.page_size + idx % p.page_size;
  }
  return static_cast<int64_t>(seq) * p.kv_seq_stride + idx;
}

/// Key position held by slot `slot` of token `token`'s list: the slot itself in dense mode, else
/// the stored index (-1 = empty slot).
__device__ __forceinline__ int key_of_slot(const SparseMlaParams& p, int token, int slot) {
  return p.dense_keys ? slot : __ldg(p.indices + static_cast<int64_t>(token) * p.topk + slot);
}

/// Two e4m3 bytes -> two floats (exact), times scale, rounded to bf16 once (what the reference does).
__device__ __forceinline__ __nv_bfloat162 dequant_fp8x2(uint16_t two, float scale) {
  const __half2_raw h = __nv_cvt_fp8x2_to_halfraw2(static_cast<__nv_fp8x2_storage_t>(two), __NV_E4M3);
  const float2 f = __half22float2(*reinterpret_cast<const __half2*>(&h));
  return __floats2bfloat162_rn(f.x * scale, f.y * scale);
}

/// Scale of 16-byte latent chunk `c` (0..31) of an FP8 row: one per 128 values, 8 chunks each.
__device__ __forceinline__ float scale_of_chunk(const float4& sc, int c) {
  const int g = c >> 3;
  return g == 0 ? sc.x : g == 1 ? sc.y : g == 2 ? sc.z : sc.w;
}

/// 16 e4m3 values times `scale` -> 16 bf16 values (each rounded once from the fp32 product, as the
/// reference does).
__device__ __forceinline__ void dequant16(const uint4& raw, float scale, uint4& lo, uint4& hi) {
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
  uint32_t out[8];
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const __nv_bfloat162 a = dequant_fp8x2(static_cast<uint16_t>(words[k] & 0xFFFF), scale);
    const __nv_bfloat162 b = dequant_fp8x2(static_cast<uint16_t>(words[k] >> 16), scale);
    out[2 * k] = *reinterpret_cast<const uint32_t*>(&a);
    out[2 * k + 1] = *reinterpret_cast<const uint32_t*>(&b);
  }
  lo = make_uint4(out[0], out[1], out[2], out[3]);
  hi = make_uint4(out[4], out[5], out[6], out[7]);
}

/// 16-byte shared-memory load and store (volatile with a memory clobber: kept in program order
/// with the other shared-memory accesses, which the in-place dequantization relies on).
__device__ __forceinline__ uint4 ld_shared_v4(uint32_t addr) {
  uint4 v;
  asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(addr)
               : "memory");
  return v;
}

__device__ __forceinline__ void st_shared_v4(uint32_t addr, const uint4& v) {
  asm volatile("st.shared.v4.u32 [%0], {%1, %2, %3, %4};\n" ::"r"(addr), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
               : "memory");
}

/// Prefetch of the 128-byte line holding `addr` into L2 (no register result, nothing to wait for).
__device__ __forceinline__ void prefetch_l2(const void* addr) {
  asm volatile("prefetch.global.L2 [%0];" ::"l"(addr));
}

using aiconf::plugins::hopper::cp_async_16;
using aiconf::plugins::hopper::cp_async_commit;
using aiconf::plugins::hopper::cp_async_mbar_arrive;
using aiconf::plugins::hopper::fence_barrier_init;
using aiconf::plugins::hopper::fence_operands;
using aiconf::plugins::hopper::mbar_arrive;
using aiconf::plugins::hopper::mbar_init;
using aiconf::plugins::hopper::mbar_wait;
using aiconf::plugins::hopper::setmaxnreg_dec;
using aiconf::plugins::hopper::setmaxnreg_inc;
using aiconf::plugins::hopper::cp_async_wait_all;
using aiconf::plugins::hopper::fence_proxy_async;
using aiconf::plugins::hopper::make_desc_sw128;
using aiconf::plugins::hopper::named_barrier;
using aiconf::plugins::hopper::smem_u32;
using aiconf::plugins::hopper::wgmma_commit;
using aiconf::plugins::hopper::wgmma_fence;

/// Waits until no committed wgmma group is pending (hopper::wgmma_wait<0>, under its old name).
__device__ __forceinline__ void wgmma_wait_all() { aiconf::plugins::hopper::wgmma_wait<0>(); }

/// Byte offset of 16-byte chunk `c` (0..71) of row `r` in a tile stored as 64-column blocks of
/// [64 rows][128 B] with the 128B swizzle (chunk index XOR row % 8). This is the canonical K-major
/// SW128 layout for the rows-as-M/N operand, and the canonical MN-major one for V (rows = K).
__device__ __forceinline__ uint32_t swz_offset(int r, int c) {
  return static_cast<uint32_t>((c >> 3) * 8192 + r * 128 + (((c & 7) ^ (r & 7)) << 4));
}

}  // namespace aiconf::sparse_mla::detail
