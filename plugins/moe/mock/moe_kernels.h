#pragma once
/// \file moe_kernels.h
/// The small kernels of the routed-expert forward around the expert GEMMs (which are cuBLASLt
/// calls): routing, permute (+ fp8 quantization), SiLU*up (+ fp8 quantization), combine.
/// Every launcher is asynchronous on `stream`, allocates nothing (capturable in a CUDA graph),
/// wraps its launch in an NVTX range "aiconf.moe.<kernel>" and returns the launch status.
///
/// Row layouts: bf16 rows are dense [rows, width]; fp8 rows are e4m3 bytes. fp8 scales:
///  - kFp8 (per tensor): one static fp32 scale per activation tensor, q = e4m3_satfinite(v / scale).
///  - kFp8Block: one fp32 scale per row and 128-column group, scale = max(amax, 1e-10) / 448,
///    q = e4m3_satfinite(v / scale), stored where cuBLASLt's VEC128 layout of the row's expert
///    segment wants it: scales[groups * seg + g * ld + (row - seg)], seg/ld = the row's perm_seg/perm_ld.

#include "moe_shape.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace aiconf::moe {

/// Largest finite e4m3 magnitude.
inline constexpr float kE4m3Max = 448.0f;
/// Floor of a block's amax before dividing by it (an all-zero group stays finite).
inline constexpr float kAmaxFloor = 1e-10f;

/// Per token (one warp each): scores = softmax(logits) or sigmoid(logits) over the `experts`
/// bf16 logits; the router's own top-k (largest scores, ties to the lower id) goes to
/// router_ids / router_weights (renormalized). The experts actually used are `forced_ids`
/// (the requested distribution, see moe_routing_plan.h): weights[t, j] = score[forced_ids[t, j]]
/// renormalized over the token's topk. experts <= 1024, topk <= 64.
cudaError_t launch_route(const void* logits, std::int64_t tokens, int experts, int topk, bool sigmoid,
                         const std::int32_t* forced_ids, std::int32_t* router_ids, float* router_weights,
                         float* weights, cudaStream_t stream) noexcept;

/// Permuted row r <- token perm_src[r] of x [tokens, hidden] bf16 (zeros where perm_src < 0),
/// written as bf16, or quantized to e4m3 (kFp8: with the static `scale`; kFp8Block: into `scales`).
cudaError_t launch_permute(const void* x, std::int64_t rows, std::int64_t hidden, MoeDtype dtype,
                           const std::int32_t* perm_src, const std::int32_t* perm_seg, const std::int32_t* perm_ld,
                           float scale, void* out, float* scales, cudaStream_t stream) noexcept;

/// act[r, c] = silu(gu[r, c]) * gu[r, inter + c] for the rows that carry a token (zeros for
/// padding rows), gu [rows, 2 * inter] bf16 (gate columns first, then up), act written like
/// launch_permute writes its rows.
cudaError_t launch_silu_mul(const void* gu, std::int64_t rows, std::int64_t inter, MoeDtype dtype,
                            const std::int32_t* perm_src, const std::int32_t* perm_seg, const std::int32_t* perm_ld,
                            float scale, void* act, float* scales, cudaStream_t stream) noexcept;

/// out[t, :] = sum over j with slot_row[t, j] >= 0 of weights[t, j] * y[slot_row[t, j], :]
/// (bf16 [tokens, hidden], fp32 sums); tokens with no local expert get zeros.
cudaError_t launch_combine(const void* y, const std::int32_t* slot_row, const float* weights, std::int64_t tokens,
                           int topk, std::int64_t hidden, void* out, cudaStream_t stream) noexcept;

}  // namespace aiconf::moe
