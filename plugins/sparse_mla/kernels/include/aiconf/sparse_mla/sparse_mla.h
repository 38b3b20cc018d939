#pragma once
/// Sparse MLA attention in MQA ("absorbed") mode, as used by DeepSeek Sparse Attention (DSA).
///
/// For every query token t and head h:
///   out[t,h,:] = softmax_j(sm_scale * q[t,h,:] . k_j) @ v_j   over the selected keys j
///   lse[t,h]   = log(sum_j exp(sm_scale * q[t,h,:] . k_j))     (natural log)
/// where k_j is the 576-wide latent cache row of key j (512 latent "c_kv" + 64 rope) and v_j its first
/// 512 values. All heads of a token share the same selected rows, which is why the kernels put the
/// heads in one dimension of the tensor-core tiles (each gathered row is reused by every head): M, in
/// tiles of 64 heads, or N (16 or 32) for few heads (see SparseMlaKernel).
///
/// The same launch covers generation (b sequences x s_q query tokens, each sequence with its own
/// cache) and context (T query tokens over one cache): query token t belongs to sequence
/// t / tokens_per_seq. A selected index is a token position inside that sequence's cache.
///
/// Thread-safety: the launch functions are reentrant; they never allocate or synchronize. The first
/// call per kernel variant sets its dynamic shared-memory attribute (idempotent).
#include <cstddef>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace aiconf::sparse_mla {

/// Latent KV cache storage formats.
enum class KvCacheFormat : int {
  /// bf16 row of head_dim_qk (576) values: 1152 bytes per token.
  kBf16 = 0,
  /// FlashMLA's FP8 layout, 656 bytes per token: 512 e4m3 latent values, 4 fp32 scales (one per 128
  /// latent values, dequantized value = e4m3 * scale), then the 64 rope values as bf16.
  kFp8E4m3Scaled = 1,
};

/// Bytes per cached token for a format (576-wide rows): 1152 or 656.
constexpr int kv_cache_row_bytes(KvCacheFormat f) { return f == KvCacheFormat::kBf16 ? 1152 : 656; }

/// Which forward kernel launch_sparse_mla runs.
enum class SparseMlaKernel : int {
  /// kNarrowHeads for the bf16 cache with num_heads <= 16, or <= 32 with at least 8 tiles of 64 keys
  /// per split (where it was measured faster); else kHeadTile64.
  kAuto = 0,
  /// Heads in tiles of 64 (the M of the tensor-core tiles): any head count, both cache formats
  /// (a producer warpgroup gathers the rows; FP8 rows are dequantized to bf16 in place, in shared memory).
  /// Below 64 heads the tile is padded (16 heads: 4x the math).
  kHeadTile64 = 1,
  /// Heads in the N of the tensor-core tiles (16 or 32): bf16 cache and num_heads <= 32 only.
  kNarrowHeads = 2,
};

/// Dimensions and device pointers of one sparse MLA call. All pointers are device pointers.
struct SparseMlaParams {
  int num_tokens = 0;       ///< query tokens: batch * s_q (generation) or T (context)
  int num_heads = 0;        ///< query heads on this GPU (any value >= 1; tiles of 64 heads)
  int head_dim_qk = 576;    ///< q/k width: kv_lora_rank + rope dim. Only 576 is supported.
  int head_dim_v = 512;     ///< v width (= kv_lora_rank). Only 512 is supported.
  int topk = 0;             ///< width of one row of `indices` (e.g. 2048)
  int tokens_per_seq = 1;   ///< query tokens per sequence: s_q for generation, num_tokens for context
  float sm_scale = 0.f;     ///< softmax scale applied to q.k

  const __nv_bfloat16* q = nullptr;  ///< [num_tokens, num_heads, head_dim_qk]
  const void* kv_cache = nullptr;    ///< rows of kv_cache_row_bytes(kv_format) bytes, see below
  KvCacheFormat kv_format = KvCacheFormat::kBf16;

  /// Contiguous cache (block_table == nullptr): row of (seq, idx) = seq * kv_seq_stride + idx.
  /// Use kv_seq_stride = 0 when all queries index one shared cache (context).
  int64_t kv_seq_stride = 0;
  /// Indices outside [0, kv_seq_len) are skipped like -1 (a guard, not a feature).
  int kv_seq_len = 0;
  /// Optional paged cache: row of (seq, idx) = block_table[seq * block_table_stride + idx / page_size]
  /// * page_size + idx % page_size.
  const int32_t* block_table = nullptr;
  int block_table_stride = 0;
  int page_size = 64;

  const int32_t* indices = nullptr;       ///< [num_tokens, topk]; -1 = no key in this slot
  /// Dense mode (dense MLA decode/prefill over the whole cache): slot j selects key j, `indices` is
  /// not read and may be null. Combine with topk = the longest cache and topk_lengths = each
  /// token's visible keys (causal), so a cache of any length needs no index list in memory.
  bool dense_keys = false;
  const int32_t* topk_lengths = nullptr;  ///< optional [num_tokens]: only the first n slots are read

  __nv_bfloat16* out = nullptr;  ///< [num_tokens, num_heads, head_dim_v]
  float* lse = nullptr;          ///< optional [num_tokens, num_heads]; -inf where no key was valid

  /// Split-KV factor: 0 = choose from num_sms (more CTAs when tokens * head tiles is small), 1 = off.
  int num_splits = 0;
  /// Multiprocessor count used by the split heuristic; 0 = query the current device.
  int num_sms = 0;
  /// Forward kernel; kAuto picks (see SparseMlaKernel). Forcing one is for tests and benchmarks.
  SparseMlaKernel kernel = SparseMlaKernel::kAuto;
};

/// Returns nullptr if `p` is supported, else a message naming the field and what is expected.
const char* sparse_mla_check(const SparseMlaParams& p);

/// Forward kernel launch_sparse_mla will run for `p` (kAuto resolved).
SparseMlaKernel sparse_mla_kernel(const SparseMlaParams& p);

/// Split-KV factor the fast kernel will use for `p` (1 = no split).
int sparse_mla_num_splits(const SparseMlaParams& p);

/// Workspace bytes the fast kernel needs for `p` (0 without split-KV). Alignment 256 bytes.
size_t sparse_mla_workspace_bytes(const SparseMlaParams& p);

/// Fast path: wgmma (sm_90a) with the gathered KV tile in shared memory, online softmax, optional
/// split-KV plus a combine kernel; heads in tiles of 64, or in the tiles' N for <= 32 heads (bf16). `workspace` must hold sparse_mla_workspace_bytes(p) bytes.
/// Rows of a head tile with no valid key produce out = 0 and lse = -inf.
/// Returns cudaErrorInvalidValue for unsupported parameters (see sparse_mla_check), else the error
/// of the launch.
cudaError_t launch_sparse_mla(const SparseMlaParams& p, void* workspace, cudaStream_t stream);

/// Simple path: one CTA per (token, head), fp32 CUDA cores. Slow; a second, independent GPU
/// implementation used to cross-check the fast path. Needs no workspace; ignores num_splits.
cudaError_t launch_sparse_mla_simple(const SparseMlaParams& p, cudaStream_t stream);

}  // namespace aiconf::sparse_mla
