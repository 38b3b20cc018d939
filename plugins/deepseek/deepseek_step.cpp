// One forward step on one GPU, with the model-builder conventions of plugins/README.md:
// - tokens T = batch_size * new_tokens on this attention rank; layer ops count the layers of the
//   largest pipeline stage (ceil(layers / pp), dense and MoE layers in the model's proportion);
//   embedding, final norm and lm_head are counted once, as on the stages that hold them.
// - collectives: nccl_dtype "half", message_size in elements (nccl-tests' buffer).
// - attention: the module op with num_heads = heads / tp; an all_reduce of T*hidden after it when
//   tp > 1 (likewise after the dense MLP).
// - MoE layers: router gemm; the moe op on the tokens of every attention-DP rank (T*dp); with
//   ep > 1 alltoall dispatch and combine over the tp*dp MoE GPUs (T*topk*hidden each), else with
//   dp > 1 all_gather / reduce_scatter of the DP ranks' tokens; shared experts as gemms split over
//   tp, then an all_reduce over tp of their partial sums (and of the routed ones when ep = dp = 1).
// - generation with new_tokens > 1 (MTP drafts): the MTP layer once per draft.
#include "deepseek_step.h"

#include <aiconf_plugins/mla_dims.h>

#include <string>

namespace aiconf::deepseek {

namespace {

std::int64_t divide(std::int64_t value, std::int64_t parts, const std::string& what, const char* field) {
  if (parts <= 0) throw Error(std::string("parallel config: ") + field + " must be at least 1, found " + std::to_string(parts));
  if (value % parts != 0)
    throw Error(what + " (" + std::to_string(value) + ") is not divisible by " + field + " (" + std::to_string(parts) + ")");
  return value / parts;
}

struct StepBuilder {
  const DeepseekShape& s;
  const ParallelConfig& par;
  const StepShape& shape;
  std::int64_t tokens = 0;
  std::string gemm;
  std::string suffix;  // appended to labels (the pipeline-stage note of per-layer ops)
  Model model;

  void add(std::string op, Params key, double count, std::string label) {
    if (count <= 0) return;
    model.ops.push_back(OpInvocation{std::move(op), std::move(key), count, std::move(label) + suffix});
  }

  Params memory_key(std::int64_t n, std::int64_t width) const {
    return Params{{"num_tokens", n}, {"hidden_size", width}, {"dtype", std::string("bfloat16")}};
  }
  Params gemm_key(const std::string& dtype, std::int64_t m, std::int64_t n, std::int64_t k) const {
    return Params{{"gemm_dtype", dtype}, {"m", m}, {"n", n}, {"k", k}};
  }
  Params comm_key(std::int64_t gpus, std::int64_t elements) const {
    return Params{{"nccl_dtype", std::string("half")}, {"num_gpus", gpus}, {"message_size", elements}};
  }
  /// Elements of this rank's activations (T x hidden).
  std::int64_t act_elements() const { return tokens * s.mla.hidden_size; }

  Params attention_key() const {
    Params k{{"architecture", s.architecture},
             {"mla_dtype", std::string("bfloat16")},
             {"kv_cache_dtype", std::string("bfloat16")},
             {"gemm_type", gemm},
             {"num_heads", divide(s.mla.num_heads, par.tp, "num_attention_heads", "tp")},
             {"batch_size", shape.batch_size},
             {"isl", shape.new_tokens},
             {"step", shape.past_tokens}};
    plugins::put_mla_dims(k, s.mla);
    if (s.dsa) {
      k.set("index_n_heads", s.index_n_heads);
      k.set("index_head_dim", s.index_head_dim);
      k.set("index_topk", s.index_topk);
    }
    return k;
  }

  std::string attention_op() const {
    const char* phase = shape.phase == Phase::context ? "context" : "generation";
    return std::string(s.dsa ? "dsa_" : "mla_") + phase + "_module";
  }

  void attention(const std::string& where, double count) {
    add("rms_norm", memory_key(tokens, s.mla.hidden_size), count, where + ".input_norm");
    add(attention_op(), attention_key(), count, where + ".attn");
    if (par.tp > 1) add("all_reduce", comm_key(par.tp, act_elements()), count, where + ".attn.all_reduce");
    add("rms_norm", memory_key(tokens, s.mla.hidden_size), count, where + ".post_attn_norm");
  }

  void dense_mlp(const std::string& where, double count) {
    const std::int64_t inter = divide(s.intermediate, par.tp, "intermediate_size", "tp");
    add("gemm", gemm_key(gemm, tokens, 2 * inter, s.mla.hidden_size), count, where + ".mlp.gate_up");
    add("gemm", gemm_key(gemm, tokens, s.mla.hidden_size, inter), count, where + ".mlp.down");
    if (par.tp > 1) add("all_reduce", comm_key(par.tp, act_elements()), count, where + ".mlp.all_reduce");
  }

  void moe(const std::string& where, double count) {
    const std::int64_t moe_gpus = std::int64_t(par.tp) * par.dp;
    // One copy of a token per chosen expert leaves this rank.
    const std::int64_t dispatched = tokens * s.experts_per_tok * s.mla.hidden_size;
    const std::int64_t gathered = tokens * par.dp * s.mla.hidden_size;
    add("gemm", gemm_key("bfloat16", tokens, s.experts, s.mla.hidden_size), count, where + ".moe.router");
    if (par.ep > 1) add("alltoall", comm_key(moe_gpus, dispatched), count, where + ".moe.dispatch");
    else if (par.dp > 1) add("all_gather", comm_key(moe_gpus, gathered), count, where + ".moe.gather_tokens");
    add("moe",
        Params{{"moe_dtype", s.moe_dtype()},
               {"num_tokens", tokens * par.dp},
               {"hidden_size", s.mla.hidden_size},
               {"inter_size", s.moe_intermediate},
               {"topk", s.experts_per_tok},
               {"num_experts", s.experts},
               {"moe_tp_size", std::int64_t(par.moe_tp)},
               {"moe_ep_size", std::int64_t(par.ep)},
               {"distribution", std::string("power_law_1.01")}},
        count, where + ".moe.experts");
    if (par.ep > 1) add("alltoall", comm_key(moe_gpus, dispatched), count, where + ".moe.combine");
    else if (par.dp > 1) add("reduce_scatter", comm_key(moe_gpus, gathered), count, where + ".moe.scatter_tokens");
    if (s.shared_experts > 0) {
      const std::int64_t width = divide(s.shared_experts * s.moe_intermediate, par.tp, "n_shared_experts * moe_intermediate_size", "tp");
      add("gemm", gemm_key(gemm, tokens, 2 * width, s.mla.hidden_size), count, where + ".moe.shared_gate_up");
      add("gemm", gemm_key(gemm, tokens, s.mla.hidden_size, width), count, where + ".moe.shared_down");
    }
    if (par.tp > 1) add("all_reduce", comm_key(par.tp, act_elements()), count, where + ".moe.all_reduce");
  }

  // The vocabulary is split over tp (padded to a multiple of it).
  std::int64_t vocab_per_gpu() const { return (s.vocab + par.tp - 1) / par.tp; }

  void run() {
    if (shape.batch_size < 1 || shape.new_tokens < 1 || shape.past_tokens < 0)
      throw Error("step shape: expected batch_size >= 1, new_tokens >= 1 and past_tokens >= 0, found batch_size=" +
                  std::to_string(shape.batch_size) + " new_tokens=" + std::to_string(shape.new_tokens) +
                  " past_tokens=" + std::to_string(shape.past_tokens));
    for (auto [v, f] : {std::pair{par.tp, "tp"}, std::pair{par.pp, "pp"}, std::pair{par.dp, "dp"}, std::pair{par.ep, "ep"},
                        std::pair{par.moe_tp, "moe_tp"}})
      if (v < 1) throw Error(std::string("parallel config: ") + f + " must be at least 1, found " + std::to_string(v));
    if (!s.moe_layers.empty()) {
      if (par.moe_tp * par.ep != par.tp * par.dp)
        throw Error("parallel config: moe_tp * ep (" + std::to_string(par.moe_tp) + " * " + std::to_string(par.ep) +
                    ") must equal tp * dp (" + std::to_string(par.tp) + " * " + std::to_string(par.dp) +
                    "): the MoE layers run on the attention GPUs");
      divide(s.experts, par.ep, "n_routed_experts", "ep");
    }
    tokens = shape.batch_size * shape.new_tokens;
    gemm = s.gemm_type();
    // The largest pipeline stage, with dense and MoE layers in the model's proportion.
    const double stage = double((s.layers + par.pp - 1) / par.pp), share = stage / double(s.layers);
    std::vector<std::int64_t> all;
    for (std::int64_t i = 0; i < s.layers; ++i) all.push_back(i);

    add("embedding", memory_key(tokens, s.mla.hidden_size), 1, "embedding");
    suffix = par.pp > 1 ? " (largest of " + std::to_string(par.pp) + " pipeline stages)" : "";
    attention(layer_set_label(all, s.layers), stage);
    if (!s.dense_layers.empty()) dense_mlp(layer_set_label(s.dense_layers, s.layers), double(s.dense_layers.size()) * share);
    if (!s.moe_layers.empty()) moe(layer_set_label(s.moe_layers, s.layers), double(s.moe_layers.size()) * share);
    suffix.clear();
    // Context steps only need logits of each sequence's last token.
    const std::int64_t rows = shape.phase == Phase::context ? shape.batch_size : tokens;
    add("rms_norm", memory_key(rows, s.mla.hidden_size), 1, "final_norm");
    add("gemm", gemm_key("bfloat16", rows, vocab_per_gpu(), s.mla.hidden_size), 1, "lm_head");
    if (par.pp > 1) add("p2p", comm_key(2, act_elements()), 1, "pipeline.p2p");

    if (shape.phase == Phase::generation && shape.new_tokens > 1 && s.mtp_layers > 0) {
      // Each draft token runs one MTP layer forward (DeepSeek ships one layer and reuses it).
      const double drafts = double(shape.new_tokens - 1);
      add("rms_norm", memory_key(tokens, s.mla.hidden_size), 2 * drafts, "mtp.enorm_hnorm");
      add("gemm", gemm_key(gemm, tokens, s.mla.hidden_size, 2 * s.mla.hidden_size), drafts, "mtp.eh_proj");
      attention("mtp", drafts);
      if (s.experts > 0) moe("mtp", drafts);
      else dense_mlp("mtp", drafts);
      add("rms_norm", memory_key(tokens, s.mla.hidden_size), drafts, "mtp.shared_head.norm");
      add("gemm", gemm_key("bfloat16", tokens, vocab_per_gpu(), s.mla.hidden_size), drafts, "mtp.lm_head");
    }
  }
};

}  // namespace

Model build_step(const DeepseekShape& s, const ParallelConfig& par, const StepShape& shape) {
  StepBuilder b{s, par, shape};
  b.run();
  return std::move(b.model);
}

}  // namespace aiconf::deepseek
