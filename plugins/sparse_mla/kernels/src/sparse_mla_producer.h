// Internal: the launch of the 64-head-tile kernel with a producer warpgroup
// (sparse_mla_producer.cu), called by launch_sparse_mla (sparse_mla_wgmma.cu), which also runs the
// split-KV combine after it.
#pragma once
#include <cuda_runtime.h>

#include "aiconf/sparse_mla/sparse_mla.h"

namespace aiconf::sparse_mla::detail {

/// Launches the 64-head-tile kernel for the cache format of `p` (bf16 or FP8): one CTA per (query
/// token, head tile, split). With num_splits > 1 it writes the fp32 partials (o_partial,
/// lse_partial) that the combine kernel merges, else out and lse.
cudaError_t launch_producer_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                                cudaStream_t stream);

}  // namespace aiconf::sparse_mla::detail
