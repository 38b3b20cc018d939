#pragma once
/// \file hopper_primitives.cuh
/// Device helpers for sm_90a kernels that feed wgmma from shared memory: cp.async, proxy fences,
/// named barriers, wgmma fence/commit/wait and the 128-byte-swizzle shared-memory descriptor.
/// Used by the flash-attention kernels (plugins/attention/kernels) and the sparse MLA kernels
/// (plugins/sparse_mla/kernels/src/sparse_mla_common.cuh); new kernels include them instead of copying.
#include <cstdint>

namespace aiconf::plugins::hopper {

/// Shared-memory address (32-bit, .shared window) of a generic pointer into shared memory.
__device__ __forceinline__ uint32_t smem_u32(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

/// 16-byte cp.async (L2 only); src_bytes = 0 zero-fills the destination without reading `src`.
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }
/// Waits until at most N committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

/// Makes this thread's generic-proxy shared-memory writes (st.shared, cp.async) visible to wgmma.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

/// Named barrier over `count` threads (ids 1..15; 0 is __syncthreads).
__device__ __forceinline__ void named_barrier(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

/// Arrives on named barrier `id` without waiting (the producer side of a bar.sync with the same count).
__device__ __forceinline__ void named_barrier_arrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

// ---- mbarriers (shared memory, CTA scope)
__device__ __forceinline__ void mbar_init(uint64_t* bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_u32(bar)), "r"(count) : "memory");
}
/// Makes mbarrier initialisations visible to the other threads (and the async proxy) before use.
__device__ __forceinline__ void fence_barrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}
/// Arrive (release semantics: this thread's earlier shared-memory writes are visible to a waiter).
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem_u32(bar)) : "memory");
}
/// Arrive once all of this thread's earlier cp.async copies have landed; counts against the
/// barrier's expected arrivals (noinc), so init the barrier with the number of copying threads.
__device__ __forceinline__ void cp_async_mbar_arrive(uint64_t* bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(smem_u32(bar)) : "memory");
}
/// Waits until the phase with this parity has completed (parity 1 on a fresh barrier returns at
/// once: the "already free" start of a producer). The retry loop is inside the PTX so the compiler
/// sees no divergent branch before the wgmma that follow a wait (which would serialise them, C7518).
__device__ __forceinline__ void mbar_wait(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n .reg .pred p;\n"
      "WAIT_%=:\n"
      " mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
      " @!p bra WAIT_%=;\n"
      "}\n" ::"r"(smem_u32(bar)),
      "r"(parity)
      : "memory");
}

/// Warpgroup register reallocation (all warps of a warpgroup execute it; counts are multiples of 8).
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}

/// Keeps the compiler from moving reads or writes of wgmma accumulators across an issue or wait point.
template <int kN>
__device__ __forceinline__ void fence_operands(float (&acc)[kN]) {
#pragma unroll
  for (int i = 0; i < kN; ++i) asm volatile("" : "+f"(acc[i])::"memory");
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
/// Waits until at most N committed wgmma groups are pending.
template <int N>
__device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

/// wgmma shared-memory descriptor with 128-byte swizzle. Addresses/offsets in bytes (multiples of 16);
/// the swizzle atom (8 rows x 128 B) must be 1024-byte aligned (base offset field = 0).
/// K-major operands: sbo = 1024 (8 rows x 128 B), lbo unused (16). MN-major operands: lbo = bytes
/// between 64-element column blocks, sbo = 1024 (8 K-rows).
__device__ __forceinline__ uint64_t make_desc_sw128(uint32_t addr, uint32_t lbo, uint32_t sbo) {
  uint64_t d = 0;
  d |= static_cast<uint64_t>((addr & 0x3FFFF) >> 4);
  d |= static_cast<uint64_t>((lbo >> 4) & 0x3FFF) << 16;
  d |= static_cast<uint64_t>((sbo >> 4) & 0x3FFF) << 32;
  d |= static_cast<uint64_t>(1) << 62;  // 128B swizzle
  return d;
}

/// Byte offset of 16-byte chunk `c` of row `r` in a tile of `rows` rows stored as column blocks of
/// 64 bf16 ([rows][128 B] each) with the 128B swizzle (chunk index XOR row % 8): the canonical
/// K-major SW128 layout when rows are M/N, and the MN-major one when rows are K.
__device__ __forceinline__ uint32_t swz_offset(int rows, int r, int c) {
  return static_cast<uint32_t>((c >> 3) * rows * 128 + r * 128 + (((c & 7) ^ (r & 7)) << 4));
}

/// Two floats -> packed bf16x2 (round to nearest), low half = a.
__device__ __forceinline__ uint32_t pack_bf16x2(float a, float b) {
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(b), "f"(a));
  return r;
}

/// 2^x with the MUFU approximation (rel. error ~2^-22).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

}  // namespace aiconf::plugins::hopper
