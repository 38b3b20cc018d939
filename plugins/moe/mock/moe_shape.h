#pragma once
/// \file moe_shape.h
/// One case of the `moe` operation as the mock layer runs it: the moe_perf key (tokens, expert
/// dims, moe_tp/ep split, dtype, distribution) parsed and checked. Host-only, no CUDA.

#include <aiconf/value.h>

#include <cstdint>
#include <string>

namespace aiconf::moe {

/// Default of MoeShape::streams (see there).
inline constexpr int kDefaultStreams = 4;

/// Precision of the expert GEMMs (moe_perf `moe_dtype`); the router GEMM is bf16 in all of them.
enum class MoeDtype { kBf16, kFp8, kFp8Block };

struct MoeShape {
  std::int64_t tokens = 0;   ///< num_tokens: all tokens entering the MoE (after the attention-DP gather)
  std::int64_t hidden = 0;   ///< hidden_size
  std::int64_t inter = 0;    ///< inter_size (whole expert width, before moe_tp)
  std::int64_t topk = 0;
  std::int64_t experts = 0;  ///< num_experts (global)
  std::int64_t tp = 1, ep = 1;
  MoeDtype dtype = MoeDtype::kBf16;
  std::string dtype_name;    ///< as in the key: bfloat16, fp8, fp8_block
  std::string distribution;  ///< "balanced" or "power_law_<alpha>"
  double alpha = 0;          ///< power-law exponent; 0 when balanced
  bool sigmoid = false;      ///< router scores: softmax (Qwen3, Mixtral) or sigmoid (optional key router_scoring)
  /// CUDA streams the per-expert GEMMs of one phase are spread over (optional key moe_streams,
  /// 1..16, default kDefaultStreams): small-m expert GEMMs fill a fraction of the SMs each, so
  /// independent experts run side by side, as one grouped GEMM launch would run them.
  int streams = 0;

  std::int64_t local_experts() const { return experts / ep; }  ///< experts of this rank: global ids [0, local_experts())
  std::int64_t inter_local() const { return inter / tp; }      ///< expert width on this rank

  /// Parses a moe_perf key; throws aiconf::Error naming the field and what was expected.
  static MoeShape from(const Params& key);
};

}  // namespace aiconf::moe
