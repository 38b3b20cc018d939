// Thread-block-cluster primitives (sm_90): the rank of a CTA in its cluster, addresses in a peer
// CTA's shared memory, cluster-wide barriers, remote mbarrier arrivals and asynchronous stores into
// a peer's shared memory that complete bytes on the peer's mbarrier (PTX ISA 8.1).
#pragma once
#include <cstdint>

namespace aiconf::plugins::hopper {

/// This CTA's rank in its cluster.
__device__ __forceinline__ uint32_t cluster_ctarank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}

/// The shared::cluster address of `local_addr` (a shared::cta address) in the CTA of rank `rank`.
/// Offsets carry over: mapa(a) + k addresses the same byte as mapa(a + k).
__device__ __forceinline__ uint32_t mapa_shared(uint32_t local_addr, uint32_t rank) {
  uint32_t r;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(r) : "r"(local_addr), "r"(rank));
  return r;
}

/// Every thread of the cluster arrives (release: its earlier writes, local and remote, are visible
/// to the threads that pass the matching wait) and waits. Not `.aligned`: threads may reach it on
/// different paths (the producer and math warpgroups leave their loops at different places).
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
}

/// Arrive on an mbarrier in a peer CTA (shared::cluster address from mapa_shared), with release
/// semantics at cluster scope.
__device__ __forceinline__ void mbar_arrive_remote(uint32_t remote_bar) {
  asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];" ::"r"(remote_bar) : "memory");
}

/// Arrive on a local mbarrier and raise its expected transaction bytes for the current phase (the
/// bytes a peer's st.async will complete; they may land before this, the count may go negative).
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes)
               : "memory");
}

/// mbarrier wait with acquire semantics at cluster scope: what peers wrote before their arrivals or
/// st.async completions is visible after it returns. Retry loop inside the PTX (see mbar_wait).
__device__ __forceinline__ void mbar_wait_cluster(uint32_t bar, uint32_t parity) {
  asm volatile(
      "{\n .reg .pred p;\n"
      "WAITC_%=:\n"
      " mbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 p, [%0], %1;\n"
      " @!p bra WAITC_%=;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

/// 16-byte asynchronous store into a peer's shared memory; its completion counts 16 bytes on the
/// peer's mbarrier `remote_bar` (both shared::cluster addresses).
__device__ __forceinline__ void st_async_v4(uint32_t remote_addr, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
                                            uint32_t remote_bar) {
  asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v4.b32 [%0], {%1, %2, %3, %4}, [%5];\n" ::"r"(
                   remote_addr),
               "r"(a), "r"(b), "r"(c), "r"(d), "r"(remote_bar)
               : "memory");
}

/// Bulk copy (the TMA engine) of `bytes` (a multiple of 16) from this CTA's shared memory to a peer's;
/// completes `bytes` on the peer's mbarrier `remote_bar`. Issue it after a fence.proxy.async that
/// orders the generic-proxy writes of the source before the copy reads them.
__device__ __forceinline__ void bulk_copy_to_peer(uint32_t remote_dst, uint32_t local_src, uint32_t bytes,
                                                  uint32_t remote_bar) {
  asm volatile("cp.async.bulk.shared::cluster.shared::cta.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   remote_dst),
               "r"(local_src), "r"(bytes), "r"(remote_bar)
               : "memory");
}

}  // namespace aiconf::plugins::hopper
