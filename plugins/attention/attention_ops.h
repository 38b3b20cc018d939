#pragma once
// GQA/MHA attention operations: context_attention and generation_attention, on aiconfigurator's
// attention tables (context_attention_perf, generation_attention_perf).
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::attention {

/// Prefill: causal attention of `isl` new tokens after `step` cached ones, per sequence.
SolCost context_attention_cost(const Params& key);
/// Decode: `isl` new tokens (1, or 1 + MTP drafts) against the whole KV cache of `step` tokens.
SolCost generation_attention_cost(const Params& key);
/// Registers both operations.
void register_attention_operations(Registrar& r);

}  // namespace aiconf::attention
