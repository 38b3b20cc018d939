#pragma once
// The `moe` operation: routed experts (grouped gated GEMMs) on aiconfigurator's moe_perf table.
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::moe {

/// Speed-of-light work of the routed experts of one GPU: num_tokens (all tokens entering the MoE,
/// across attention-DP ranks) x topk assignments spread over moe_ep_size ranks, each expert's
/// gate/up/down split moe_tp_size ways; weights of the local experts actually hit, plus activations.
SolCost moe_cost(const Params& key);
/// Expected distinct local experts hit by `assignments` token-expert pairs: all of them up to the
/// local count when balanced, the uniform-random expectation for other (skewed) distributions.
double experts_hit(double local_experts, double assignments, const std::string& distribution);
void register_moe_operation(Registrar& r);

}  // namespace aiconf::moe
