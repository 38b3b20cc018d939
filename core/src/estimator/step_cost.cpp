// One forward step: build the model step through the family's builder, query every invocation
// (memoized by op + key), sum latency x count with a per-operation breakdown.
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>

namespace aiconf {

Estimator::Estimator(const Registry& registry, const QueryContext& ctx, const ModelConfig& cfg)
    : registry_(registry), ctx_(ctx), cfg_(cfg), builder_(registry.find_builder(cfg.family)),
      impl_(std::make_unique<Impl>()) {}

Estimator::~Estimator() = default;

std::uint64_t Estimator::queries() const noexcept { return impl_->queries.load(); }
std::uint64_t Estimator::cache_hits() const noexcept { return impl_->hits.load(); }

namespace {

Status no_builder(const Registry& reg, const ModelConfig& cfg) {
  std::string loaded;
  for (const auto& [family, b] : reg.model_builders) loaded += (loaded.empty() ? "" : ", ") + family;
  return Status::error(cfg.source + ": no loaded plugin registers a model builder for family '" + cfg.family +
                       "' (builders loaded: " + (loaded.empty() ? "none" : loaded) + ")");
}

std::string shape_key(const ParallelConfig& p, const StepShape& s, const RuntimeConfig& rt) {
  return par_name(p) + "|" + to_string(s.phase) + "|" + std::to_string(s.batch_size) + "|" + std::to_string(s.new_tokens) +
         "|" + std::to_string(s.past_tokens) + "|" + rt.kv_dtype + "|" + rt.gemm_dtype + "|" + rt.moe_dtype;
}

}  // namespace

Status Estimator::summary(ModelSummary* out) const {
  if (!builder_) return no_builder(registry_, cfg_);
  std::call_once(impl_->summary_once, [&] { impl_->summary_status = builder_->summarize(cfg_, &impl_->summary); });
  if (!impl_->summary_status) return impl_->summary_status;
  *out = impl_->summary;
  return Status::ok();
}

void apply_overrides(const RuntimeConfig& rt, Params* key) {
  auto set_if = [&](const char* column, const std::string& v) {
    if (!v.empty() && key->has(column)) key->set(column, v);
  };
  set_if("kv_cache_dtype", rt.kv_dtype);
  set_if("gemm_dtype", rt.gemm_dtype);
  set_if("mla_dtype", rt.gemm_dtype);
  set_if("bmm_dtype", rt.gemm_dtype);
  set_if("moe_dtype", rt.moe_dtype);
}

std::string par_name(const ParallelConfig& p) {
  return "tp" + std::to_string(p.tp) + "pp" + std::to_string(p.pp) + "dp" + std::to_string(p.dp) + "ep" +
         std::to_string(p.ep) + "etp" + std::to_string(p.moe_tp);
}

bool is_sequence_op(const OpInvocation& inv) { return inv.key.has("step"); }

double tokens_per_step(const RuntimeConfig& rt) { return 1.0 + std::clamp(rt.mtp_acceptance, 0.0, double(rt.mtp_tokens)); }

Status check_runtime(const RuntimeConfig& rt) {
  if (rt.isl < 1) return Status::error("runtime: isl: expected at least 1 token, got " + std::to_string(rt.isl));
  if (rt.osl < 1) return Status::error("runtime: osl: expected at least 1 token, got " + std::to_string(rt.osl));
  if (rt.batch < 1) return Status::error("runtime: batch: expected at least 1, got " + std::to_string(rt.batch));
  if (rt.prefill_batch < 1)
    return Status::error("runtime: prefill_batch: expected at least 1, got " + std::to_string(rt.prefill_batch));
  if (rt.mtp_tokens < 0 || rt.mtp_acceptance < 0 || rt.mtp_acceptance > rt.mtp_tokens)
    return Status::error("runtime: MTP: expected 0 <= acceptance (" + std::to_string(rt.mtp_acceptance) +
                         ") <= draft tokens (" + std::to_string(rt.mtp_tokens) + ")");
  if (rt.chunk_tokens < 0) return Status::error("runtime: chunk_tokens: expected >= 0");
  if (rt.gen_samples < 1) return Status::error("runtime: gen_samples: expected at least 1");
  return Status::ok();
}

namespace {

// Answers one invocation through the cache. A missing operation is an answer too (0 ms) unless strict.
Status answer(const Estimator::Impl& cimpl, const QueryContext& ctx, const OpInvocation& inv, const RuntimeConfig& rt,
              CachedAnswer* out, Params* key_out) {
  auto& impl = const_cast<Estimator::Impl&>(cimpl);
  Params key = inv.key;
  apply_overrides(rt, &key);
  std::string ck = inv.op;
  ck += '\x1f';
  ck += key.str();
  impl.queries.fetch_add(1, std::memory_order_relaxed);
  if (key_out) *key_out = key;
  if (impl.answers.find(ck, out)) {
    impl.hits.fetch_add(1, std::memory_order_relaxed);
    if (out->missing && rt.strict_ops)
      return Status::error("operation '" + inv.op + "' (" + inv.label + "): no loaded plugin provides it");
    return Status::ok();
  }
  CachedAnswer a;
  if (!ctx.has_operation(inv.op)) {
    if (rt.strict_ops) return Status::error("operation '" + inv.op + "' (" + inv.label + "): no loaded plugin provides it");
    a.missing = true;
    a.note = "no loaded plugin provides this operation: counted as 0 ms";
  } else {
    Latency lat;
    Status s = ctx.query(inv.op, key, &lat);
    if (!s) return Status::error(inv.label + ": " + s.message());
    if (!std::isfinite(lat.ms) || lat.ms < 0)
      return Status::error(inv.label + ": operation '" + inv.op + "' answered a non-finite or negative latency for " + key.str());
    a.ms = lat.ms;
    a.provenance = lat.provenance;
    a.table = lat.table;
    a.note = lat.note;
  }
  impl.answers.put(ck, a);
  *out = a;
  return Status::ok();
}

bool counted(StepPart part, const OpInvocation& inv) {
  return part == StepPart::all || (part == StepPart::sequence) == is_sequence_op(inv);
}

}  // namespace

Status Estimator::step(const ParallelConfig& par, const StepShape& shape, const RuntimeConfig& rt, StepCost* out,
                       StepPart part) const {
  if (!builder_) return no_builder(registry_, cfg_);
  Model model;
  Status s = builder_->build(cfg_, par, shape, &model);
  if (!s) return Status::error(par_name(par) + ": " + s.message());
  StepCost sc;
  sc.shape = shape;
  sc.name = to_string(shape.phase);
  for (const auto& inv : model.ops) {
    if (!counted(part, inv)) continue;
    CachedAnswer a;
    OpCost oc;
    Params key;
    Status q = answer(*impl_, ctx_, inv, rt, &a, &key);
    if (!q) return q;
    oc.op = inv.op;
    oc.label = inv.label.empty() ? inv.op : inv.label;
    oc.key = key.str();
    oc.count = inv.count;
    oc.latency_ms = a.ms;
    oc.ms = a.ms * inv.count;
    oc.provenance = a.provenance;
    oc.missing = a.missing;
    oc.table = a.table;
    oc.note = a.note;
    sc.ms += oc.ms;
    if (a.missing) {
      if (std::find(sc.missing_ops.begin(), sc.missing_ops.end(), inv.op) == sc.missing_ops.end())
        sc.missing_ops.push_back(inv.op);
    } else {
      sc.by_provenance[static_cast<int>(a.provenance)] += oc.ms;
      if (oc.ms > 0 && a.provenance > sc.worst) sc.worst = a.provenance;
    }
    sc.ops.push_back(std::move(oc));
  }
  for (auto& oc : sc.ops) oc.share = sc.ms > 0 ? oc.ms / sc.ms : 0;
  *out = std::move(sc);
  return Status::ok();
}

Status Estimator::step_ms(const ParallelConfig& par, const StepShape& shape, const RuntimeConfig& rt, double* ms,
                          StepPart part) const {
  if (!builder_) return no_builder(registry_, cfg_);
  const std::string sk = shape_key(par, shape, rt) + "|" + std::to_string(static_cast<int>(part));
  if (impl_->step_totals.find(sk, ms)) return Status::ok();
  Model model;
  Status s = builder_->build(cfg_, par, shape, &model);
  if (!s) return Status::error(par_name(par) + ": " + s.message());
  double total = 0;
  for (const auto& inv : model.ops) {
    if (!counted(part, inv)) continue;
    CachedAnswer a;
    Status q = answer(*impl_, ctx_, inv, rt, &a, nullptr);
    if (!q) return q;
    total += a.ms * inv.count;
  }
  impl_->step_totals.put(sk, total);
  *ms = total;
  return Status::ok();
}

}  // namespace aiconf
