#pragma once
// The (n, k) weight shapes of a model's linear layers, for the GEMM collector's --model sweep.
#include <aiconf/config.h>

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace aiconf::gemm_plugin {

/// (n, k) of every linear layer the model has, for each tensor-parallel size in `tp_sizes` that
/// splits it evenly: attention projections (GQA from the core fields, MLA when an extension carries
/// kv_lora_rank), the DSA indexer projections (extension "dsa"), dense MLP, MoE router and shared
/// experts (extension "moe"), lm_head. Routed experts are not here: they belong to the moe table.
std::set<std::pair<std::int64_t, std::int64_t>> model_gemm_shapes(const ModelConfig& cfg,
                                                                  const std::vector<std::int64_t>& tp_sizes);

}  // namespace aiconf::gemm_plugin
