#pragma once
/// \file l2_flush.h
/// Evicting the L2 cache between timed samples without leaving dirty lines behind.
///
/// A cudaMemsetAsync over a 2x-L2 buffer evicts a previous sample's data but leaves L2 full of
/// dirty lines: the next kernel then pays their write-back to HBM while it reads its own data. For
/// a memory-bound kernel whose data fits in L2 (a decode GEMM's 30 MB of weights on a 50 MB L2) that
/// up to doubles the HBM traffic of the timed sample, so the row overstates what the kernel costs
/// inside a layer (measured on H100: docs/alignment/dsa_alignment.md). Reading the buffer instead
/// leaves only clean lines, which are dropped for free.

#include <cuda_runtime_api.h>

#include <cstddef>

namespace aiconf::collect {

/// Enqueues a kernel that reads `bytes` (a multiple of 16) of `buffer` and writes one word to
/// `sink` only if the data has an impossible checksum (so the reads cannot be optimized away).
cudaError_t enqueue_read_flush(const void* buffer, std::size_t bytes, unsigned* sink, cudaStream_t stream);

}  // namespace aiconf::collect
