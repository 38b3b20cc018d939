#pragma once
/// CPU reference of the DSA indexer logits (plain C++, no CUDA), for tests and for anyone who
/// needs ground truth. FP8 inputs are decoded exactly; dot products are summed in fp32 (exact
/// enough: each fp8 product has <= 8 significant bits), everything after in fp64.
/// Thread-safe (pure functions); uses std::thread internally to split rows.

#include <cstdint>
#include <vector>

namespace aiconf::dsa {

/// Exact value of an FP8 e4m3 (OCP / NVIDIA __nv_fp8_e4m3) byte; 0x7F / 0xFF decode to NaN.
float fp8_e4m3_to_float(uint8_t v);

/// Context mode. q [T, H, D] fp8, w [T, H], k [S, D] fp8, k_scale [S], ranges [ks, ke) per query.
/// out [T, n_cols] (resized): I[t, s] for ks <= s < ke, -infinity elsewhere.
void indexer_logits_reference_context(const uint8_t* q, const float* w, const uint8_t* k, const float* k_scale,
                                      const int32_t* ks, const int32_t* ke, int n_tokens, int n_heads, int head_dim,
                                      int n_cols, std::vector<double>& out);

/// Generation mode, contiguous cache. q [B*n_next, H, D], w [B*n_next, H], k [B, seq_stride, D],
/// k_scale [B, seq_stride], context_lens [B]. Query i of sequence b (row b*n_next+i) sees keys
/// [0, L_b - n_next + i + 1). out [B*n_next, n_cols] (resized), -infinity where masked.
void indexer_logits_reference_generation(const uint8_t* q, const float* w, const uint8_t* k, const float* k_scale,
                                         const int32_t* context_lens, int batch, int n_next, int seq_stride,
                                         int n_heads, int head_dim, int n_cols, std::vector<double>& out);

}  // namespace aiconf::dsa
