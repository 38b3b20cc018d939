// Launch side of the fast sparse MLA forward: the kernel choice (kAuto), the split-KV factor and
// workspace, and the split-KV combine kernel. The forward kernels themselves are the 64-head-tile
// kernel with a producer warpgroup (sparse_mla_producer.cu, bf16 and FP8 caches) and the
// narrow-heads kernel (sparse_mla_narrow.cu, bf16 cache, <= 32 heads). The file keeps its name from
// when it held the first wgmma kernel: the tables' kernel_source label (aiconf_sparse_mla_wgmma)
// refers to this family.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nvtx3/nvToolsExt.h>

#include "sparse_mla_common.cuh"
#include "sparse_mla_narrow.h"
#include "sparse_mla_producer.h"
#include "sparse_mla_tile.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

/// Merges the split partials: out = sum_s exp(lse_s - lse) * o_s, lse = log sum_s exp(lse_s).
/// One CTA of 128 threads per (token, head); each thread owns 4 of the 512 columns.
__global__ void __launch_bounds__(128) sparse_mla_combine_kernel(const SparseMlaParams p, int num_splits,
                                                                 const float* o_partial, const float* lse_partial) {
  const int64_t th = blockIdx.x;
  const int64_t split_stride = static_cast<int64_t>(p.num_tokens) * p.num_heads;
  float m = -INFINITY;
  for (int s = 0; s < num_splits; ++s) m = fmaxf(m, lse_partial[s * split_stride + th]);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  float denom = 0.f;
  if (m != -INFINITY) {
    for (int s = 0; s < num_splits; ++s) {
      const float ls = lse_partial[s * split_stride + th];
      if (ls == -INFINITY) continue;
      const float wgt = __expf(ls - m);
      denom += wgt;
      const float4 v = *reinterpret_cast<const float4*>(o_partial + (s * split_stride + th) * kDv + threadIdx.x * 4);
      acc[0] += wgt * v.x;
      acc[1] += wgt * v.y;
      acc[2] += wgt * v.z;
      acc[3] += wgt * v.w;
    }
  }
  const float inv = denom > 0.f ? 1.f / denom : 0.f;
  __nv_bfloat16* dst = p.out + th * kDv + threadIdx.x * 4;
  reinterpret_cast<__nv_bfloat162*>(dst)[0] = __floats2bfloat162_rn(acc[0] * inv, acc[1] * inv);
  reinterpret_cast<__nv_bfloat162*>(dst)[1] = __floats2bfloat162_rn(acc[2] * inv, acc[3] * inv);
  if (p.lse != nullptr && threadIdx.x == 0) p.lse[th] = denom > 0.f ? m + logf(denom) : -INFINITY;
}

cudaError_t launch_combine(const SparseMlaParams& p, int num_splits, const float* o_partial, const float* lse_partial,
                           cudaStream_t stream) {
  sparse_mla_combine_kernel<<<static_cast<unsigned>(static_cast<int64_t>(p.num_tokens) * p.num_heads), 128, 0,
                              stream>>>(p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace
}  // namespace aiconf::sparse_mla::detail

namespace aiconf::sparse_mla {

int sparse_mla_num_splits(const SparseMlaParams& p) {
  if (p.num_splits > 0) return p.num_splits;
  int sms = p.num_sms;
  if (sms <= 0) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
      sms = 132;
  }
  const int64_t ctas = static_cast<int64_t>(p.num_tokens) * ((p.num_heads + 63) / 64);
  const int tiles = (p.topk + 63) / 64;
  if (ctas <= 0 || ctas * 2 > sms) return 1;  // a full wave already (or close): splitting only adds work
  // At least 2 tiles of 64 keys per split: one-tile splits pay the query load and the fp32 partials
  // for too little math (H200 sweep, results/split_sweep_h200.txt: 16 splits beat 32 at batch 1-4).
  const int64_t s = std::min<int64_t>(std::min<int64_t>(sms / ctas, std::max(tiles / 2, 1)), 64);
  return static_cast<int>(std::max<int64_t>(s, 1));
}

size_t sparse_mla_workspace_bytes(const SparseMlaParams& p) {
  const int s = sparse_mla_num_splits(p);
  if (s <= 1) return 0;
  const size_t rows = static_cast<size_t>(s) * p.num_tokens * p.num_heads;
  const size_t o_bytes = (rows * detail::kDv * sizeof(float) + 255) / 256 * 256;
  return o_bytes + (rows * sizeof(float) + 255) / 256 * 256;
}

cudaError_t launch_sparse_mla(const SparseMlaParams& p, void* workspace, cudaStream_t stream) {
  if (const char* why = sparse_mla_check(p)) {
    std::fprintf(stderr, "launch_sparse_mla: %s\n", why);
    return cudaErrorInvalidValue;
  }
  if (p.num_tokens == 0) return cudaSuccess;
  const int s = sparse_mla_num_splits(p);
  float* o_partial = nullptr;
  float* lse_partial = nullptr;
  if (s > 1) {
    if (workspace == nullptr) {
      std::fprintf(stderr, "launch_sparse_mla: workspace is null but %d splits need %zu bytes\n", s,
                   sparse_mla_workspace_bytes(p));
      return cudaErrorInvalidValue;
    }
    const size_t rows = static_cast<size_t>(s) * p.num_tokens * p.num_heads;
    o_partial = static_cast<float*>(workspace);
    lse_partial = reinterpret_cast<float*>(static_cast<char*>(workspace) +
                                           (rows * detail::kDv * sizeof(float) + 255) / 256 * 256);
  }
  nvtxRangePushA(p.kv_format == KvCacheFormat::kBf16 ? "sparse_mla_fwd_bf16" : "sparse_mla_fwd_fp8");
  cudaError_t err;
  const SparseMlaKernel kernel = sparse_mla_kernel(p);
  if (kernel == SparseMlaKernel::kNarrowHeads)
    err = detail::launch_narrow_fwd(p, s, o_partial, lse_partial, stream);
  else
    err = detail::launch_producer_fwd(p, s, o_partial, lse_partial, stream);
  if (err == cudaSuccess && s > 1) err = detail::launch_combine(p, s, o_partial, lse_partial, stream);
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::sparse_mla
