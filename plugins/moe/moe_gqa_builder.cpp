// moe_gqa: parameter counts (total and active) and the per-GPU operation list of one step.
#include "moe_gqa_builder.h"

#include <aiconf_plugins/gqa_layers.h>

namespace aiconf::moe {
using namespace aiconf::plugins;

namespace {

struct MoeDims {
  std::int64_t experts, topk, width, shared, moe_layers, dense_layers;
};

MoeDims moe_dims(const ModelConfig& cfg) {
  if (!cfg.has_extension("moe"))
    throw Error(cfg.source + ": family moe_gqa needs the 'moe' config extension (is the moe plugin's parser loaded?)");
  MoeDims d;
  d.experts = cfg.integer("moe", "num_experts");
  d.topk = cfg.integer("moe", "num_experts_per_tok");
  d.width = cfg.integer("moe", "moe_intermediate_size");
  d.shared = cfg.integer_or("moe", "num_shared_experts", 0);
  d.moe_layers = cfg.integer("moe", "num_moe_layers");
  d.dense_layers = cfg.core.num_hidden_layers - d.moe_layers;
  if (d.dense_layers > 0 && cfg.core.intermediate_size <= 0)
    throw Error(cfg.source + ": intermediate_size: expected a positive integer for the " + std::to_string(d.dense_layers) +
                " dense layers");
  return d;
}

}  // namespace

ModelSummary MoeGqaBuilder::summary(const ModelConfig& cfg) const {
  require_gqa_fields(cfg);
  const CoreFields& c = cfg.core;
  const MoeDims d = moe_dims(cfg);
  const double h = c.hidden_size, expert = 3.0 * h * d.width;  // gate, up, down of one expert
  const double attn = gqa_attention_params(c);
  const double dense = d.dense_layers * (attn + 3.0 * h * c.intermediate_size);
  const double router = h * d.experts;
  ModelSummary s;
  s.parameters = embedding_params(c) + dense + d.moe_layers * (attn + router + (d.experts + d.shared) * expert);
  s.active_parameters = embedding_params(c) + dense + d.moe_layers * (attn + router + (d.topk + d.shared) * expert);
  s.weight_bytes = s.parameters * weight_bytes_per_param(c);
  s.kv_bytes_per_token_per_layer = gqa_kv_bytes_per_token(c);
  s.attention_layers = c.num_hidden_layers;
  s.notes = std::to_string(d.moe_layers) + " MoE layers x (" + std::to_string(d.experts) + " experts, top-" +
            std::to_string(d.topk) + (d.shared ? ", " + std::to_string(d.shared) + " shared" : std::string()) + ") + " +
            std::to_string(d.dense_layers) + " dense layers; active counts top-k (+ shared) experts; KV cache bf16";
  return s;
}

Model MoeGqaBuilder::step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const {
  require_gqa_fields(cfg);
  const CoreFields& c = cfg.core;
  const MoeDims d = moe_dims(cfg);
  const GqaStep s = gqa_step(cfg, par, shape);
  const int moe_gpus = par.tp * par.dp;
  if (par.moe_tp * par.ep != moe_gpus)
    throw Error("parallel config: moe_tp (" + std::to_string(par.moe_tp) + ") x ep (" + std::to_string(par.ep) +
                ") must equal tp x dp (" + std::to_string(moe_gpus) + ")");
  split(d.experts, par.ep, "num_experts");  // experts must spread evenly over the EP ranks
  // This stage's share of the dense and MoE layers.
  const double moe_count = s.layers * d.moe_layers / c.num_hidden_layers;
  const double dense_count = s.layers - moe_count;

  Model m;
  add_embedding(m, cfg, s);
  add_gqa_attention(m, cfg, par, shape, s, s.layers);
  if (d.dense_layers > 0) add_dense_mlp(m, cfg, par, s, c.intermediate_size, dense_count, "dense_layer");

  const std::int64_t h = c.hidden_size;
  m.ops.push_back(memory_op("rms_norm", s.tokens, h, s.dtype, moe_count, "moe_layer.post_attention_layernorm"));
  m.ops.push_back(gemm(s.dtype, s.tokens, d.experts, h, moe_count, "moe_layer.router"));
  if (d.shared > 0) {
    const std::int64_t local = split(d.shared * d.width, par.tp, "shared expert width");
    m.ops.push_back(gemm(s.dtype, s.tokens, 2 * local, h, moe_count, "moe_layer.shared_expert.gate_up_proj"));
    m.ops.push_back(memory_op("activation", s.tokens, local, s.dtype, moe_count, "moe_layer.shared_expert.act"));
    m.ops.push_back(gemm(s.dtype, s.tokens, h, local, moe_count, "moe_layer.shared_expert.down_proj"));
  }
  // Routed experts see every token of the MoE group: the attention-DP ranks' batches together.
  const std::int64_t moe_tokens = s.tokens * par.dp;
  // message_size follows nccl-tests: the whole send buffer of a rank (alltoall), the gathered
  // output (all_gather) or the input to scatter (reduce_scatter).
  const std::int64_t dispatched = s.tokens * d.topk * h;  // one copy of a token per chosen expert
  if (par.ep > 1)
    m.ops.push_back(collective("alltoall", "half", moe_gpus, dispatched, moe_count, "moe_layer.dispatch"));
  else if (par.dp > 1)
    m.ops.push_back(collective("all_gather", "half", moe_gpus, moe_tokens * h, moe_count, "moe_layer.gather_tokens"));
  m.ops.push_back(op("moe",
                     Params{{"moe_dtype", s.dtype},
                            {"num_tokens", moe_tokens},
                            {"hidden_size", h},
                            {"inter_size", d.width},
                            {"topk", d.topk},
                            {"num_experts", d.experts},
                            {"moe_tp_size", std::int64_t(par.moe_tp)},
                            {"moe_ep_size", std::int64_t(par.ep)},
                            {"distribution", std::string("balanced")}},
                     moe_count, "moe_layer.experts"));
  if (par.ep > 1)
    m.ops.push_back(collective("alltoall", "half", moe_gpus, dispatched, moe_count, "moe_layer.combine"));
  else if (par.dp > 1)
    m.ops.push_back(collective("reduce_scatter", "half", moe_gpus, moe_tokens * h, moe_count, "moe_layer.scatter_tokens"));
  else if (par.tp > 1)
    m.ops.push_back(collective("all_reduce", "half", par.tp, s.tokens * h, moe_count, "moe_layer.all_reduce"));
  add_head(m, cfg, par, shape, s);
  return m;
}

}  // namespace aiconf::moe
