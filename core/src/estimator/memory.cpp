// Memory per GPU: weights split by the parallel configuration, the KV cache of the sequences a GPU
// holds, the peak activations of the largest step, communication staging buffers and the system's
// reserved memory. Each term's derivation is written into MemoryEstimate::notes.
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>

namespace aiconf {

namespace {

// Bytes per element of a dtype as the tables spell it; 0 when unknown.
double dtype_bytes(const std::string& d) {
  if (d == "fp8" || d == "fp8_block" || d == "float8" || d == "int8" || d == "fp8_e4m3" || d == "w8a8") return 1;
  if (d == "bfloat16" || d == "float16" || d == "half" || d == "bf16" || d == "fp16") return 2;
  if (d == "float32" || d == "fp32" || d == "float") return 4;
  if (d == "nvfp4" || d == "fp4" || d == "w4a8" || d == "int4") return 0.5625;  // 4 bits + one fp8 scale per 16
  return 0;
}

std::string gib(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  return buf;
}

}  // namespace

Status Estimator::memory(const ParallelConfig& par, const RuntimeConfig& rt, double kv_tokens, const StepShape& peak_step,
                         MemoryEstimate* out) const {
  ModelSummary sum;
  Status s = summary(&sum);
  if (!s) return s;
  MemoryEstimate m;
  const SystemSpec& sys = ctx_.system();

  // Weights. The summary has whole-model parameters and the active ones; for MoE the difference
  // is the routed experts not chosen per token, which gives the size of one routed expert and so
  // the expert total, split over ep x moe_tp (= tp x dp). The rest is split over tp (attention,
  // dense MLP, embedding, lm_head) and replicated over attention-DP ranks; pp splits both.
  const double params = std::max(sum.parameters, 1.0);
  double bytes_per_param = sum.weight_bytes > 0 ? sum.weight_bytes / params : 2.0;
  const std::int64_t experts = cfg_.integer_or("moe", "num_experts", 0);
  const std::int64_t topk = cfg_.integer_or("moe", "num_experts_per_tok", 0);
  double expert_params = 0;
  if (experts > topk && topk > 0 && sum.parameters > sum.active_parameters)
    expert_params = (sum.parameters - sum.active_parameters) / double(experts - topk) * double(experts);
  const double dense_params = std::max(0.0, sum.parameters - expert_params);
  double dense_bpp = bytes_per_param, expert_bpp = bytes_per_param;
  if (!rt.gemm_dtype.empty() && dtype_bytes(rt.gemm_dtype) > 0) dense_bpp = dtype_bytes(rt.gemm_dtype);
  if (!rt.moe_dtype.empty() && dtype_bytes(rt.moe_dtype) > 0) expert_bpp = dtype_bytes(rt.moe_dtype);
  m.weights = dense_params * dense_bpp / (double(par.tp) * par.pp) +
              expert_params * expert_bpp / (double(par.ep) * par.moe_tp * par.pp);
  m.notes.push_back("weights " + gib(m.weights) + ": " + std::to_string(dense_params / 1e9).substr(0, 6) + " G non-expert params x " +
                    std::to_string(dense_bpp).substr(0, 4) + " B / (tp " + std::to_string(par.tp) + " x pp " +
                    std::to_string(par.pp) + ")" +
                    (expert_params > 0 ? " + " + std::to_string(expert_params / 1e9).substr(0, 6) + " G expert params x " +
                                             std::to_string(expert_bpp).substr(0, 4) + " B / (ep " + std::to_string(par.ep) +
                                             " x moe_tp " + std::to_string(par.moe_tp) + " x pp " + std::to_string(par.pp) + ")"
                                       : std::string()));

  // KV cache. The builder's figure is per token and layer for the whole model; a GPU holds the
  // layers of its stage, and the share of the heads its generation attention key says it owns
  // (GQA splits KV heads over tp; MLA's latent cache is the same on every tp rank).
  Model gen;
  StepShape g{Phase::generation, 1, 1 + rt.mtp_tokens, std::max<std::int64_t>(rt.isl, 1)};
  s = builder_->build(cfg_, par, g, &gen);
  if (!s) return Status::error(par_name(par) + ": " + s.message());
  double kv_split = 1;
  std::string builder_kv_dtype;
  for (const auto& inv : gen.ops) {
    if (!is_sequence_op(inv)) continue;
    if (const Value* v = inv.key.find("num_key_value_heads"); v && cfg_.core.num_key_value_heads > 0)
      if (auto n = as_number(*v); n && *n > 0) kv_split = std::max(1.0, cfg_.core.num_key_value_heads / *n);
    if (const Value* v = inv.key.find("kv_cache_dtype"); v && builder_kv_dtype.empty()) builder_kv_dtype = to_string(*v);
  }
  double kv_scale = 1;
  if (!rt.kv_dtype.empty() && !builder_kv_dtype.empty()) {
    const double from = dtype_bytes(builder_kv_dtype), to = dtype_bytes(rt.kv_dtype);
    if (from > 0 && to > 0) kv_scale = to / from;
  }
  const double layers = std::ceil(double(std::max<std::int64_t>(sum.attention_layers, 1)) / par.pp);
  m.kv_bytes_per_token = sum.kv_bytes_per_token_per_layer * layers / kv_split * kv_scale;
  m.kv_cache = m.kv_bytes_per_token * kv_tokens;
  m.notes.push_back("KV cache " + gib(m.kv_cache) + ": " + std::to_string(std::llround(kv_tokens)) + " tokens x " +
                    std::to_string(sum.kv_bytes_per_token_per_layer).substr(0, 7) + " B/token/layer x " +
                    std::to_string(std::llround(layers)) + " layers" +
                    (kv_split > 1 ? " / " + std::to_string(std::llround(kv_split)) + " (KV heads split over tp)" : "") +
                    (kv_scale != 1 ? " x " + std::to_string(kv_scale).substr(0, 4) + " (kv dtype " + rt.kv_dtype + " instead of " +
                                         builder_kv_dtype + ")"
                                   : ""));

  // Activations and communication buffers of the largest step: the largest GEMM's input + output
  // live together with the residual stream (hidden in and out); the MoE permutes top-k copies of
  // each token and holds its gate/up output; collectives stage their message in and out.
  StepShape shape = peak_step;
  const std::int64_t step_tokens = shape.batch_size * shape.new_tokens;
  if (rt.max_num_tokens > 0 && step_tokens > rt.max_num_tokens)
    shape = StepShape{shape.phase, 1, rt.max_num_tokens, shape.past_tokens};
  Model peak;
  s = builder_->build(cfg_, par, shape, &peak);
  if (!s) return Status::error(par_name(par) + ": " + s.message());
  double act = 0, comm = 0, max_tokens = 0;
  for (const auto& inv : peak.ops) {
    const Params& k = inv.key;
    if (inv.op == "gemm") {
      const double mm = k.number_or("m", 0), n = k.number_or("n", 0), kk = k.number_or("k", 0);
      act = std::max(act, (mm * kk + mm * n) * 2);
      max_tokens = std::max(max_tokens, mm);
    } else if (k.has("inter_size") && k.has("num_tokens")) {
      const double t = k.number_or("num_tokens", 0), h = k.number_or("hidden_size", 0), i = k.number_or("inter_size", 0);
      const double tk = k.number_or("topk", 1), mtp = std::max(1.0, k.number_or("moe_tp_size", 1));
      act = std::max(act, t * tk * (2 * h + 2 * i / mtp) * 2);
    } else if (k.has("message_size")) {
      const std::string d = k.text_or("nccl_dtype", k.text_or("allreduce_dtype", "half"));
      const double b = dtype_bytes(d) > 0 ? dtype_bytes(d) : 2;
      comm = std::max(comm, k.number_or("message_size", 0) * b * 2);
    }
  }
  m.activations = act + 2 * max_tokens * cfg_.core.hidden_size * 2;
  m.comm_buffers = comm;
  m.notes.push_back("activations " + gib(m.activations) + ": largest GEMM/MoE input+output of a " +
                    std::to_string(shape.batch_size * shape.new_tokens) + "-token step + residual stream" +
                    (step_tokens > shape.batch_size * shape.new_tokens
                         ? " (the " + std::to_string(step_tokens) + "-token step runs in max_num_tokens pieces)"
                         : ""));
  m.notes.push_back("communication buffers " + gib(m.comm_buffers) + ": largest collective message in + out");
  m.reserved = sys.reserved_memory_bytes;
  m.notes.push_back("reserved " + gib(m.reserved) + ": system spec reserved_memory (runtime, CUDA context)");
  m.capacity = sys.hbm_capacity_bytes;
  m.total = m.weights + m.kv_cache + m.activations + m.comm_buffers + m.reserved;
  m.fits = m.capacity <= 0 || m.total <= m.capacity;
  const double free_for_kv = m.capacity - (m.total - m.kv_cache);
  m.max_kv_tokens = m.kv_bytes_per_token > 0 && free_for_kv > 0 ? free_for_kv / m.kv_bytes_per_token : 0;
  *out = std::move(m);
  return Status::ok();
}

}  // namespace aiconf
