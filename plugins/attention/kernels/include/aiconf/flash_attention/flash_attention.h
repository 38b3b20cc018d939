#pragma once
/// Dense flash-attention forward (sm_90a, bf16): context (prefill) and generation (decode) with GQA.
///
/// For sequence b, query token i (0 <= i < seqlen_q) and head h (kv head g = h / (num_heads / num_kv_heads)):
///   keys visible: j in [0, seqlen_k - seqlen_q + i] when causal (the first seqlen_k - seqlen_q keys are
///                 the cached prefix), all j in [0, seqlen_k) otherwise
///   out[b,i,h,:] = softmax_j(sm_scale * q[b,i,h,:] . k[b,g,j,:]) @ v[b,g,j,:]
///   lse[b,i,h]   = log(sum_j exp(sm_scale * q . k_j))   (natural log; fp32)
/// Decode is the same call with seqlen_q = 1 (or a few MTP tokens) and seqlen_k = cached + new.
///
/// One kernel serves both: the query heads of one kv head are packed into the rows of the
/// tensor-core tile (row = token * group + head-in-group), so every K/V tile loaded from memory is
/// used by all heads that share it. Softmax runs in fp32 (exp2 with the scale folded in), P is
/// rounded to bf16 for the PV product, the output is rounded to bf16 once.
///
/// Thread-safety: launches are reentrant; they never allocate or synchronize. Each kernel variant
/// sets its dynamic shared-memory attribute on launch (idempotent).
#include <cstddef>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace aiconf::flash_attention {

/// Kernel variants (all sm_90a wgmma). kAuto picks kSmall64x64 when seqlen_q * group <= 64 (decode),
/// else kBasic128x128 (measured fastest for prefill; the overlapped ones are kept for comparison).
enum class KernelVariant : int {
  kAuto = 0,
  /// 1 warpgroup, 64 packed rows x 64-key tiles, K/V double-buffered, 2 CTAs per SM.
  kSmall64x64 = 1,
  /// 2 warpgroups, 128 rows x 128-key tiles, each product waited for, K/V double-buffered.
  kBasic128x128 = 2,
  /// 2 warpgroups, 128 x 128, 3 K/V stages; S of tile j+1 and its softmax overlap P V of tile j
  /// (softmax writes bf16 P into a second register set). head_dim_qk <= 128.
  kOverlap128x128 = 3,
  /// As kOverlap128x128, but the probabilities wait in fp32 until P V of tile j retires (kept for
  /// comparison).
  kOverlapFp32P128x128 = 4,
};

/// Dimensions, layouts and device pointers of one attention call.
struct FlashAttentionParams {
  int batch = 0;         ///< sequences (all with the same seqlen_q and seqlen_k)
  int seqlen_q = 0;      ///< new (query) tokens per sequence
  int seqlen_k = 0;      ///< keys per sequence: cached prefix + seqlen_q for causal; >= seqlen_q when causal
  int num_heads = 0;     ///< query heads (a multiple of num_kv_heads)
  int num_kv_heads = 0;  ///< K/V heads
  int head_dim_qk = 0;   ///< q/k width: 64, 128 or 192
  int head_dim_v = 0;    ///< v/out width: 64 (with qk 64) or 128 (with qk 128 or 192)
  bool causal = true;
  float sm_scale = 0.f;  ///< softmax scale, usually head_dim_qk^-1/2

  /// q: [batch, seqlen_q, num_heads, head_dim_qk], contiguous.
  const __nv_bfloat16* q = nullptr;
  /// k/v: element (b, g, j, d) at b * batch_stride + g * head_stride + j * row_stride + d (elements).
  /// Strides must be multiples of 8 (16-byte rows). [batch, kv_heads, max_len, d] (a decode cache):
  /// row_stride = d, head_stride = max_len * d, batch_stride = kv_heads * max_len * d.
  /// [batch, seqlen, kv_heads, d] (fresh prefill K/V): row_stride = kv_heads * d, head_stride = d.
  const __nv_bfloat16* k = nullptr;
  const __nv_bfloat16* v = nullptr;
  int64_t k_batch_stride = 0, k_head_stride = 0, k_row_stride = 0;
  int64_t v_batch_stride = 0, v_head_stride = 0, v_row_stride = 0;

  /// out: [batch, seqlen_q, num_heads, head_dim_v], contiguous.
  __nv_bfloat16* out = nullptr;
  /// Optional lse: [batch, seqlen_q, num_heads] fp32.
  float* lse = nullptr;

  /// Split-KV factor: 0 = choose (more CTAs when batch * kv heads * row tiles is below the SM count),
  /// 1 = off. Splits need a workspace (flash_attention_workspace_bytes) and add a combine kernel.
  int num_splits = 0;
  /// Multiprocessor count for the split heuristic; 0 = query the current device.
  int num_sms = 0;
  /// Kernel variant; kAuto unless comparing variants (tests, benchmarks).
  KernelVariant kernel_variant = KernelVariant::kAuto;
};

/// nullptr if `p` is supported, else a message naming the field and what is expected.
const char* flash_attention_check(const FlashAttentionParams& p);

/// Split-KV factor the launch will use for `p` (1 = no split).
int flash_attention_num_splits(const FlashAttentionParams& p);

/// Workspace bytes the launch needs for `p` (0 without split-KV).
size_t flash_attention_workspace_bytes(const FlashAttentionParams& p);

/// Name of the kernel variant `p` runs (for kernel_source / logs), e.g. "fa_wgmma_d128_m128n128".
const char* flash_attention_variant(const FlashAttentionParams& p);

/// Enqueues the forward pass (and the combine kernel with split-KV). `workspace` must hold
/// flash_attention_workspace_bytes(p) bytes (may be null when that is 0). Returns
/// cudaErrorInvalidValue for unsupported parameters (message on stderr), else the launch error.
cudaError_t launch_flash_attention(const FlashAttentionParams& p, void* workspace, cudaStream_t stream);

}  // namespace aiconf::flash_attention
