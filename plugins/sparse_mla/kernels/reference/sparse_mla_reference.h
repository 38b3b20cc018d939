#pragma once
/// CPU reference for sparse MLA (MQA mode) and the host-side number formats it needs.
/// Plain C++ (no CUDA); fp64 accumulation. Thread-safe (no shared state).
#include <cstdint>
#include <vector>

namespace aiconf::sparse_mla::reference {

/// bf16 bit pattern -> float (exact).
float bf16_to_float(uint16_t b);
/// float -> bf16 bit pattern, round to nearest even.
uint16_t float_to_bf16(float f);
/// e4m3 (OCP FP8, bias 7, max 448, no infinities) -> float (exact).
float fp8_e4m3_to_float(uint8_t v);
/// float -> e4m3, round to nearest even, saturating at +-448.
uint8_t float_to_fp8_e4m3(float f);

/// bf16 row of 576 values -> FlashMLA FP8 row of 656 bytes (512 e4m3, 4 fp32 scales = amax/448 per
/// 128 values, 64 bf16 rope values copied).
void quantize_fp8_row(const uint16_t* row576, uint8_t* out656);
/// FP8 row -> 576 floats as the kernels see them: e4m3 * scale rounded to bf16; rope exact.
void dequantize_fp8_row(const uint8_t* in656, float* row576);

/// One sparse MLA problem on the host; same addressing as SparseMlaParams.
struct ReferenceProblem {
  int num_tokens = 0, num_heads = 0, topk = 0, tokens_per_seq = 1;
  float sm_scale = 0.f;
  const float* q = nullptr;   ///< [num_tokens, num_heads, 576]
  const float* kv = nullptr;  ///< [cache rows, 576], already dequantized
  int64_t kv_seq_stride = 0;
  int kv_seq_len = 0;
  const int32_t* block_table = nullptr;  ///< optional, as in SparseMlaParams
  int block_table_stride = 0, page_size = 64;
  const int32_t* indices = nullptr;       ///< [num_tokens, topk]
  const int32_t* topk_lengths = nullptr;  ///< optional [num_tokens]
};

/// Computes out [num_tokens, num_heads, 512] and lse [num_tokens, num_heads] (natural log; -inf and
/// out = 0 where no key is valid) for the tokens in `tokens` (all when empty), with `threads` threads.
/// Rows of tokens not listed are left untouched.
void sparse_mla_reference(const ReferenceProblem& p, float* out, float* lse, const std::vector<int>& tokens,
                          int threads);

}  // namespace aiconf::sparse_mla::reference
