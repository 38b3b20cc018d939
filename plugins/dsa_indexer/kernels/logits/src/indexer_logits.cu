// Host side of the indexer logits kernel: argument checks, TMA tensor maps, work decomposition,
// instantiation dispatch and the launch.
#include "aiconf/dsa/indexer_logits.h"

#include <cuda.h>
#include <cudaTypedefs.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <mutex>

#include "indexer_logits_kernel.cuh"

namespace aiconf::dsa {
namespace {

using detail::kBlockKeys;
using detail::kHeadDim;
using detail::LogitsKernelParams;

PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    cudaDriverEntryPointQueryResult q{};
    void* p = nullptr;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) ==
            cudaSuccess &&
        q == cudaDriverEntryPointSuccess) {
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
    }
  });
  return fn;
}

// One tiled tensor map; dims/strides innermost first, strides in bytes for dims 1.. .
bool make_map(CUtensorMap* map, CUtensorMapDataType type, int rank, const void* base, const uint64_t* dims,
              const uint64_t* strides, const uint32_t* box, CUtensorMapSwizzle swizzle) {
  auto fn = encode_fn();
  if (fn == nullptr) return false;
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  return fn(map, type, rank, const_cast<void*>(base), reinterpret_cast<const cuuint64_t*>(dims),
            reinterpret_cast<const cuuint64_t*>(strides), reinterpret_cast<const cuuint32_t*>(box), elem_strides,
            CU_TENSOR_MAP_INTERLEAVE_NONE, swizzle, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

struct Maps {
  CUtensorMap q, w, k, s;
};

// Q rows (token*H + head) x 128 B with 128 B swizzle; weights rows of H floats, kG rows a box.
bool make_query_maps(Maps& m, const void* q, const float* w, int rows, int heads, int n_tile) {
  const uint64_t qd[2] = {kHeadDim, static_cast<uint64_t>(rows) * heads};
  const uint64_t qs[1] = {kHeadDim};
  const uint32_t qb[2] = {kHeadDim, static_cast<uint32_t>(n_tile)};
  const uint64_t wd[2] = {static_cast<uint64_t>(heads), static_cast<uint64_t>(rows)};
  const uint64_t ws[1] = {static_cast<uint64_t>(heads) * 4};
  const uint32_t wb[2] = {static_cast<uint32_t>(heads), static_cast<uint32_t>(n_tile / heads)};
  return make_map(&m.q, CU_TENSOR_MAP_DATA_TYPE_UINT8, 2, q, qd, qs, qb, CU_TENSOR_MAP_SWIZZLE_128B) &&
         make_map(&m.w, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 2, w, wd, ws, wb, CU_TENSOR_MAP_SWIZZLE_NONE);
}

// Keys as (128 B, y, z) and scales as (y, z): the kernel addresses a 64-key block by (y, z).
bool make_key_maps(Maps& m, const void* k, uint64_t y_dim, uint64_t z_dim, uint64_t k_z_stride, const float* s,
                   uint64_t s_z_stride) {
  const uint64_t kd[3] = {kHeadDim, y_dim, z_dim};
  const uint64_t ks[2] = {kHeadDim, k_z_stride};
  const uint32_t kb[3] = {kHeadDim, kBlockKeys, 1};
  const uint64_t sd[2] = {y_dim, z_dim};
  const uint64_t ss[1] = {s_z_stride};
  const uint32_t sb[2] = {kBlockKeys, 1};
  return make_map(&m.k, CU_TENSOR_MAP_DATA_TYPE_UINT8, 3, k, kd, ks, kb, CU_TENSOR_MAP_SWIZZLE_128B) &&
         make_map(&m.s, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 2, s, sd, ss, sb, CU_TENSOR_MAP_SWIZZLE_NONE);
}

int num_sms() {
  int dev = 0, n = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
    return 132;
  return n;
}

template <int kH, int kN>
cudaError_t launch_instance(const Maps& m, const LogitsKernelParams& p, cudaStream_t stream) {
  auto kernel = detail::indexer_logits_kernel<kH, kN>;
  constexpr int kSmem = detail::SmemLayout<kN>::kAlloc;
  static cudaError_t attr_err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem);
  if (attr_err != cudaSuccess) return attr_err;
  const int grid = std::min(p.num_items, num_sms());
  kernel<<<grid, detail::kThreads, kSmem, stream>>>(m.q, m.w, m.k, m.s, p);
  return cudaGetLastError();
}

cudaError_t dispatch(int heads, int n_tile, const Maps& m, const LogitsKernelParams& p, cudaStream_t stream) {
  switch (heads * 1000 + n_tile) {
    case 16064: return launch_instance<16, 64>(m, p, stream);
    case 16128: return launch_instance<16, 128>(m, p, stream);
    case 32064: return launch_instance<32, 64>(m, p, stream);
    case 32128: return launch_instance<32, 128>(m, p, stream);
    case 64064: return launch_instance<64, 64>(m, p, stream);
    case 64128: return launch_instance<64, 128>(m, p, stream);
    case 128128: return launch_instance<128, 128>(m, p, stream);
    default: return cudaErrorInvalidValue;
  }
}

// Key blocks per work item: large chunks amortise the per-item pipeline drain, but the grid
// of items must still spread over every SM several times (causal rows are uneven).
int pick_chunk_blocks(int64_t groups, int col_blocks, int sms) {
  const int64_t target_items = 8LL * sms;
  int64_t c = (groups * col_blocks) / target_items;
  c = std::clamp<int64_t>(c, 4, 64);
  return static_cast<int>(c);
}

}  // namespace

bool indexer_logits_supported(int n_heads, int head_dim) {
  return head_dim == kHeadDim && (n_heads == 16 || n_heads == 32 || n_heads == 64 || n_heads == 128);
}

cudaError_t launch_indexer_logits_context(const IndexerLogitsContextArgs& a, cudaStream_t stream) {
  if (!indexer_logits_supported(a.n_heads, a.head_dim) || a.n_tokens < 0 || a.n_keys < 0 || a.n_cols < 0 ||
      a.ld_logits < a.n_cols || !aligned16(a.q) || !aligned16(a.weights) || !aligned16(a.k_fp8) ||
      !aligned16(a.k_scale) || a.ks == nullptr || a.ke == nullptr || a.logits == nullptr)
    return cudaErrorInvalidValue;
  if (a.n_tokens == 0 || a.n_cols == 0) return cudaSuccess;
  const int n_tile = 128;
  const int group = n_tile / a.n_heads;
  LogitsKernelParams p{};
  p.logits = a.logits;
  p.ld = a.ld_logits;
  p.n_cols = a.n_cols;
  p.fill = a.fill_masked ? 1 : 0;
  p.gen = 0;
  p.ks = a.ks;
  p.ke = a.ke;
  p.n_tokens = a.n_tokens;
  p.num_groups = (a.n_tokens + group - 1) / group;
  p.num_col_blocks = (a.n_cols + kBlockKeys - 1) / kBlockKeys;
  p.chunk_blocks = pick_chunk_blocks(p.num_groups, p.num_col_blocks, num_sms());
  const int64_t chunks = (p.num_col_blocks + p.chunk_blocks - 1) / p.chunk_blocks;
  const int64_t items = chunks * p.num_groups;
  if (items > INT32_MAX) return cudaErrorInvalidValue;
  p.num_items = static_cast<int>(items);

  Maps m{};
  const uint64_t keys = std::max(a.n_keys, 1);
  if (!make_query_maps(m, a.q, a.weights, a.n_tokens, a.n_heads, n_tile) ||
      !make_key_maps(m, a.k_fp8, keys, 1, keys * kHeadDim, a.k_scale, ((keys * 4 + 15) / 16) * 16))
    return cudaErrorInvalidValue;

  nvtxRangePushA("dsa_indexer_logits_context");
  const cudaError_t err = dispatch(a.n_heads, n_tile, m, p, stream);
  nvtxRangePop();
  return err;
}

cudaError_t launch_indexer_logits_generation(const IndexerLogitsGenerationArgs& a, cudaStream_t stream) {
  if (!indexer_logits_supported(a.n_heads, a.head_dim) || a.batch < 0 || a.n_next < 1 || a.n_next > 8 ||
      a.max_context_len < 0 || a.ld_logits < a.max_context_len || !aligned16(a.q) || !aligned16(a.weights) ||
      a.context_lens == nullptr || a.logits == nullptr)
    return cudaErrorInvalidValue;
  if (a.batch == 0 || a.max_context_len == 0) return cudaSuccess;
  // The smallest tile that holds all n_next queries of a sequence; larger n_next uses several groups.
  const int n_tile = (a.n_next * a.n_heads <= 64 && a.n_heads <= 64) ? 64 : 128;
  const int group = n_tile / a.n_heads;
  LogitsKernelParams p{};
  p.logits = a.logits;
  p.ld = a.ld_logits;
  p.n_cols = a.max_context_len;
  p.fill = a.fill_masked ? 1 : 0;
  p.gen = 1;
  p.context_lens = a.context_lens;
  p.n_next = a.n_next;
  p.groups_per_seq = (a.n_next + group - 1) / group;
  p.num_groups = a.batch * p.groups_per_seq;
  p.num_col_blocks = (a.max_context_len + kBlockKeys - 1) / kBlockKeys;
  p.chunk_blocks = pick_chunk_blocks(p.num_groups, p.num_col_blocks, num_sms());
  const int64_t chunks = (p.num_col_blocks + p.chunk_blocks - 1) / p.chunk_blocks;
  const int64_t items = chunks * p.num_groups;
  if (items > INT32_MAX) return cudaErrorInvalidValue;
  p.num_items = static_cast<int>(items);

  Maps m{};
  if (!make_query_maps(m, a.q, a.weights, a.batch * a.n_next, a.n_heads, n_tile)) return cudaErrorInvalidValue;
  if (a.layout == IndexCacheLayout::kContiguous) {
    if (!aligned16(a.k_fp8) || !aligned16(a.k_scale) || a.seq_stride < a.max_context_len || a.seq_stride % 4 != 0)
      return cudaErrorInvalidValue;
    const uint64_t st = static_cast<uint64_t>(a.seq_stride);
    if (!make_key_maps(m, a.k_fp8, st, a.batch, st * kHeadDim, a.k_scale, st * 4)) return cudaErrorInvalidValue;
    p.block_table = nullptr;
  } else {
    if (!aligned16(a.kv_pool) || a.block_table == nullptr || a.page_size <= 0 || a.page_size % kBlockKeys != 0 ||
        a.num_pages <= 0 || static_cast<int64_t>(a.block_table_stride) * a.page_size < a.max_context_len)
      return cudaErrorInvalidValue;
    const uint64_t ps = static_cast<uint64_t>(a.page_size);
    const uint64_t page_bytes = ps * (kHeadDim + 4);
    const auto* pool = static_cast<const uint8_t*>(a.kv_pool);
    if (!make_key_maps(m, pool, ps, a.num_pages, page_bytes, reinterpret_cast<const float*>(pool + ps * kHeadDim),
                       page_bytes))
      return cudaErrorInvalidValue;
    p.block_table = a.block_table;
    p.block_table_stride = a.block_table_stride;
    p.page_size = a.page_size;
  }

  nvtxRangePushA("dsa_indexer_logits_generation");
  const cudaError_t err = dispatch(a.n_heads, n_tile, m, p, stream);
  nvtxRangePop();
  return err;
}

int64_t indexer_logits_context_pairs(const int32_t* ks_host, const int32_t* ke_host, int n_tokens) {
  int64_t n = 0;
  for (int t = 0; t < n_tokens; ++t) n += std::max(0, ke_host[t] - ks_host[t]);
  return n;
}

int64_t indexer_logits_generation_pairs(const int32_t* context_lens_host, int batch, int n_next) {
  int64_t n = 0;
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < n_next; ++i) n += std::max(0, context_lens_host[b] - n_next + i + 1);
  return n;
}

}  // namespace aiconf::dsa
