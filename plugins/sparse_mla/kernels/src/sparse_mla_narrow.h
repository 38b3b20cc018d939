// Internal: the launch of the narrow-heads forward kernel (sparse_mla_narrow.cu), called by
// launch_sparse_mla (sparse_mla_wgmma.cu), which also runs the split-KV combine after it.
#pragma once
#include <cuda_runtime.h>

#include "aiconf/sparse_mla/sparse_mla.h"

namespace aiconf::sparse_mla::detail {

/// Most heads the narrow kernel takes (its wgmma N is 16 or 32).
constexpr int kNarrowMaxHeads = 32;

/// Launches the narrow-heads kernel: one CTA per (query token, split). With num_splits > 1 it writes
/// the fp32 partials (o_partial, lse_partial) that the combine kernel merges, else out and lse.
/// cudaErrorInvalidValue for an FP8 cache or more than kNarrowMaxHeads heads.
cudaError_t launch_narrow_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                              cudaStream_t stream);

}  // namespace aiconf::sparse_mla::detail
