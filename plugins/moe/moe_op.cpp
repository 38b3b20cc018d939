// Speed-of-light formula and schema of the routed-expert operation. Model dimensions (hidden,
// inter, topk, experts) are categorical: interpolating between two models' experts means nothing.
#include "moe_op.h"

#include <aiconf_plugins/formula_operation.h>

#include <algorithm>
#include <cmath>

namespace aiconf::moe {
using namespace aiconf::plugins;

namespace {

struct Precision {
  double weight_bytes;  // per weight, scales included
  double act_bytes;     // per activation entering the expert GEMMs
  const char* compute;
};

Precision precision(const std::string& dtype) {
  if (dtype == "bfloat16" || dtype == "float16") return {2, 2, "bf16"};
  if (dtype == "fp8") return {1, 1, "fp8"};
  if (dtype == "fp8_block") return {1 + 4.0 / (128 * 128), 1 + 4.0 / 128, "fp8"};  // fp32 scale per 128x128 / 1x128
  if (dtype == "w4a16_mxfp4") return {0.5 + 1.0 / 32, 2, "bf16"};                 // e8m0 scale per 32 weights
  if (dtype == "nvfp4") return {0.5 + 1.0 / 16, 0.5 + 1.0 / 16, "fp8"};           // no fp4 tensor cores before Blackwell
  throw Error("moe key 'moe_dtype' = '" + dtype + "': expected bfloat16, fp8, fp8_block, w4a16_mxfp4 or nvfp4");
}

double at_least_one(const Params& key, const char* name) {
  const double v = key.number(name);
  if (!(v >= 1)) throw Error(std::string("moe key '") + name + "': expected at least 1, got " + to_string(*key.find(name)));
  return v;
}

}  // namespace

double experts_hit(double local_experts, double assignments, const std::string& distribution) {
  if (assignments <= 0) return 0;
  if (distribution == "balanced") return std::min(local_experts, std::ceil(assignments));
  return local_experts * (1 - std::pow(1 - 1 / local_experts, assignments));
}

SolCost moe_cost(const Params& key) {
  const Precision p = precision(key.text("moe_dtype"));
  const double tokens = at_least_one(key, "num_tokens"), h = at_least_one(key, "hidden_size"),
               inter = at_least_one(key, "inter_size"), topk = at_least_one(key, "topk"),
               experts = at_least_one(key, "num_experts");
  const double tp = key.number_or("moe_tp_size", 1), ep = key.number_or("moe_ep_size", 1);
  if (tp < 1 || ep < 1 || ep > experts)
    throw Error("moe key " + key.str() + ": expected moe_tp_size >= 1 and 1 <= moe_ep_size <= num_experts");
  if (topk > experts) throw Error("moe key " + key.str() + ": expected topk <= num_experts");
  const std::string dist = key.text_or("distribution", "balanced");
  const double assignments = tokens * topk / ep;  // token-expert pairs this rank computes (balanced share)
  SolCost c;
  c.compute_dtype = p.compute;
  // gate and up (2 x h x inter) then down (inter x h), 2 FLOPs per multiply-add, inter split over tp.
  c.flops = assignments * 3 * 2 * h * inter / tp;
  const double weights = experts_hit(experts / ep, assignments, dist) * 3 * h * inter / tp * p.weight_bytes;
  const double activations = assignments * h * (p.act_bytes + 2);  // read x per assignment, write bf16 y
  c.bytes = weights + activations;
  return c;
}

void register_moe_operation(Registrar& r) {
  TableSchema schema{"moe_perf", {"moe"},
                     {categorical("moe_dtype"), numeric("num_tokens", AxisTransform::log), categorical("hidden_size"),
                      categorical("inter_size"), categorical("topk"), categorical("num_experts"),
                      numeric("moe_tp_size", AxisTransform::log), numeric("moe_ep_size", AxisTransform::log),
                      categorical("distribution")}};
  throw_if_error(r.add_operation(new FormulaOperation(
      "moe", "routed experts: top-k routing, grouped gated GEMMs (gate/up, SiLU*mul, down) and combine, split over moe_tp x moe_ep",
      std::move(schema), moe_cost)));
}

}  // namespace aiconf::moe
