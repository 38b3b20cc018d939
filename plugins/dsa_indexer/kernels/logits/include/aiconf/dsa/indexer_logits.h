#pragma once
/// DSA lightning-indexer logits on FP8 tensor cores (sm_90a, wgmma QGMMA).
///
///   I[t, s] = k_scale[s] * sum_h w[t, h] * ReLU(q[t, h, :] . k[s, :])
///
/// q and k are FP8 e4m3 (raw bytes), the dot product is accumulated in fp32 on the tensor
/// cores, the ReLU / head-weighted sum / key scale run in fp32. The per-(token, head) q scale
/// is expected to be folded into `weights` by the caller.
///
/// Both launchers are asynchronous on `stream`, never allocate, never synchronize, and are safe
/// to call from several host threads (they only read their arguments; the one-time kernel
/// attribute setup is guarded). They need no workspace (indexer_logits_workspace_bytes() == 0).
/// Supported: head_dim == 128, n_heads in {16, 32, 64, 128}; anything else returns
/// cudaErrorInvalidValue before launching.

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace aiconf::dsa {

/// Context (prefill) mode: T query tokens against one key array of S keys.
/// Each query t sees keys [ks[t], ke[t]) of the key array (DeepGEMM fp8_mqa_logits style):
/// a causal mask with a cached prefix is ks = seq_key_offset, ke = seq_key_offset + prefix + i + 1;
/// a batch of sequences is their keys concatenated plus per-query ranges.
struct IndexerLogitsContextArgs {
  const void* q = nullptr;         ///< fp8 e4m3 [T, n_heads, head_dim], contiguous, 16 B aligned
  const float* weights = nullptr;  ///< fp32 [T, n_heads]: head weight * q scale (may be negative)
  const void* k_fp8 = nullptr;     ///< fp8 e4m3 [S, head_dim], contiguous, 16 B aligned
  const float* k_scale = nullptr;  ///< fp32 [S] per-key dequantisation scale, 16 B aligned
  const int32_t* ks = nullptr;     ///< int32 [T] first visible key (inclusive), device memory
  const int32_t* ke = nullptr;     ///< int32 [T] end of visible keys (exclusive), ke <= S
  float* logits = nullptr;         ///< fp32 [T, ld_logits]; columns are key indices 0..n_cols-1
  int64_t ld_logits = 0;           ///< row stride of logits in floats (>= n_cols)
  int n_tokens = 0;                ///< T
  int n_keys = 0;                  ///< S (rows of k_fp8 / k_scale)
  int n_cols = 0;                  ///< columns written per row (usually S); keys >= n_cols are never written
  int n_heads = 64;                ///< H
  int head_dim = 128;              ///< D
  /// true: every column in [0, n_cols) of every row is written, masked ones with -inf.
  /// false: only columns in [ks, ke) are guaranteed; others may hold -inf or stay untouched.
  bool fill_masked = true;
};

/// Layout of the index cache (D fp8 bytes + one fp32 scale per key token, 132 B for D = 128).
enum class IndexCacheLayout {
  /// k_fp8 [B, seq_stride, D] and k_scale [B, seq_stride] as two arrays; seq_stride % 4 == 0.
  kContiguous,
  /// Pages of page_size tokens (multiple of 64) in one pool; each page is page_size*D fp8 bytes
  /// followed by page_size fp32 scales (page_size*(D+4) bytes, 132 B/token for D = 128).
  /// block_table [B, block_table_stride] int32 maps the sequence's page j to a pool page id.
  kPaged,
};

/// Generation (decode / MTP) mode: each of B sequences has n_next (1..8) new query tokens at
/// the end of its index cache of context_lens[b] tokens (the new tokens included). Query
/// i of sequence b is output row b*n_next + i and sees keys [0, context_lens[b] - n_next + i + 1).
struct IndexerLogitsGenerationArgs {
  const void* q = nullptr;            ///< fp8 e4m3 [B*n_next, n_heads, head_dim]
  const float* weights = nullptr;     ///< fp32 [B*n_next, n_heads]
  const int32_t* context_lens = nullptr;  ///< int32 [B] cache length per sequence (device)
  IndexCacheLayout layout = IndexCacheLayout::kPaged;
  // kContiguous
  const void* k_fp8 = nullptr;        ///< fp8 [B, seq_stride, D]
  const float* k_scale = nullptr;     ///< fp32 [B, seq_stride]
  int seq_stride = 0;                 ///< tokens per sequence slot (>= max_context_len)
  // kPaged
  const void* kv_pool = nullptr;      ///< pages as described in IndexCacheLayout::kPaged, 16 B aligned
  const int32_t* block_table = nullptr;  ///< int32 [B, block_table_stride]
  int block_table_stride = 0;         ///< entries per row of block_table
  int num_pages = 0;                  ///< pages in kv_pool
  int page_size = 64;                 ///< tokens per page, multiple of 64

  float* logits = nullptr;            ///< fp32 [B*n_next, ld_logits]; column = key position in sequence
  int64_t ld_logits = 0;              ///< row stride in floats (>= max_context_len)
  int batch = 0;                      ///< B
  int n_next = 1;                     ///< new query tokens per sequence (1..8)
  int max_context_len = 0;            ///< upper bound of context_lens (columns written per row)
  int n_heads = 64;                   ///< H
  int head_dim = 128;                 ///< D
  bool fill_masked = true;            ///< as in IndexerLogitsContextArgs, with n_cols = max_context_len
};

/// Workspace needed by the launchers (none: tensor maps travel as kernel parameters).
inline size_t indexer_logits_workspace_bytes() { return 0; }

/// True when (n_heads, head_dim) has a compiled kernel.
bool indexer_logits_supported(int n_heads, int head_dim);

/// Launches the context-mode kernel on `stream`; returns the launch error (cudaGetLastError) or
/// cudaErrorInvalidValue for unsupported shapes / misaligned pointers.
cudaError_t launch_indexer_logits_context(const IndexerLogitsContextArgs& args, cudaStream_t stream);

/// Launches the generation-mode kernel on `stream`; same error contract.
cudaError_t launch_indexer_logits_generation(const IndexerLogitsGenerationArgs& args,
                                             cudaStream_t stream);

/// Number of (query, key) pairs the launch computes unmasked, for FLOP accounting
/// (2 * n_heads * head_dim FLOP each). Host-side helpers over host copies of the ranges.
int64_t indexer_logits_context_pairs(const int32_t* ks_host, const int32_t* ke_host, int n_tokens);
int64_t indexer_logits_generation_pairs(const int32_t* context_lens_host, int batch, int n_next);

}  // namespace aiconf::dsa
