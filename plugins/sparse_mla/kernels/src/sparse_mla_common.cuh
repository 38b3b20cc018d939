// Device helpers shared by the sparse MLA kernels: cache row addressing, FP8 dequantization and the
// Hopper primitives (cp.async, descriptors, barriers, fences).
#pragma once
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

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

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/// 16-byte cp.async; src_bytes = 0 zero-fills the destination (skipped keys, padded heads).
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }

/// Makes this thread's generic-proxy shared-memory writes (st.shared, cp.async) visible to wgmma.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

/// Named barrier over `count` threads (ids 1..15; 0 is __syncthreads).
__device__ __forceinline__ void named_barrier(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }

/// wgmma shared-memory descriptor with 128-byte swizzle. Addresses/offsets in bytes (multiples of 16);
/// the swizzle atom (8 rows x 128 B) must be 1024-byte aligned (base offset field = 0).
__device__ __forceinline__ uint64_t make_desc_sw128(uint32_t addr, uint32_t lbo, uint32_t sbo) {
  uint64_t d = 0;
  d |= static_cast<uint64_t>((addr & 0x3FFFF) >> 4);
  d |= static_cast<uint64_t>((lbo >> 4) & 0x3FFF) << 16;
  d |= static_cast<uint64_t>((sbo >> 4) & 0x3FFF) << 32;
  d |= static_cast<uint64_t>(1) << 62;  // 128B swizzle
  return d;
}

/// Byte offset of 16-byte chunk `c` (0..71) of row `r` in a tile stored as 64-column blocks of
/// [64 rows][128 B] with the 128B swizzle (chunk index XOR row % 8). This is the canonical K-major
/// SW128 layout for the rows-as-M/N operand, and the canonical MN-major one for V (rows = K).
__device__ __forceinline__ uint32_t swz_offset(int r, int c) {
  return static_cast<uint32_t>((c >> 3) * 8192 + r * 128 + (((c & 7) ^ (r & 7)) << 4));
}

}  // namespace aiconf::sparse_mla::detail
