#pragma once
/// \file moe_reference.h
/// CPU reference of the routed-expert forward for single tokens, mirroring the device's
/// roundings (bf16 stores, e4m3 quantization with the same scale rules) so that the comparison
/// measures kernel bugs, not the format's rounding. Accumulation in double.

#include "moe_shape.h"

#include <cstdint>
#include <vector>

namespace aiconf::moe::reference {

float bf16_to_float(std::uint16_t bits);
float bf16_round(float v);
float e4m3_to_float(std::uint8_t bits);

/// What the GEMM reads after the device quantizes `v` (one row): bf16-rounded (kBf16), e4m3 with
/// the static `scale` (kFp8), e4m3 with 1x128 group scales amax/448 (kFp8Block), dequantized.
std::vector<float> quantize_row(const std::vector<float>& v, MoeDtype dtype, float scale);

/// Dequantized weight [n, k] from its raw device bytes: bf16, e4m3 x one scale (kFp8: scales[0])
/// or e4m3 x 128x128 block scales (kFp8Block: scales[(row/128) * weight_scale_ld(k) + col/128]).
std::vector<float> dequantize_weight(const std::vector<std::uint8_t>& raw, std::int64_t n, std::int64_t k, MoeDtype dtype,
                                     const std::vector<float>& scales);

/// One expert on one token: gu = x W13^T (bf16-rounded), act = silu(gate) * up quantized like the
/// device, y = act W2^T (bf16-rounded). x already quantized (quantize_row). Returns y [hidden].
std::vector<double> expert_forward(const std::vector<float>& x, const std::vector<float>& w13, const std::vector<float>& w2,
                                   std::int64_t hidden, std::int64_t inter, MoeDtype dtype, float act_scale);

/// The routing kernel on one token's logits: scores (softmax or sigmoid), the router's top-k
/// (ties to the lower id) with renormalized weights, and the forced experts' renormalized weights.
struct Route {
  std::vector<int> ids;
  std::vector<double> weights, forced_weights;
};
Route route(const std::vector<float>& logits, int topk, bool sigmoid, const std::int32_t* forced);

}  // namespace aiconf::moe::reference
