// A custom model without touching the core or any plugin, in the spirit of examples/minimal_plugin:
// a new operation (a fused SwiGLU that reads gate and up once and writes the product, with its own
// speed-of-light and perf table name) and a new model family that reuses the registered dense_gqa
// builder by name and swaps its activation for the fused op. Both are registered straight into the
// Registry next to the loaded plugins (shared_ptrs with no-op deleters: they live on main's stack),
// then Qwen3-32B is estimated as either family.
#include "example_world.h"

#include <aiconf/plugin/plugin_base.h>

#include <cstdio>

using namespace aiconf;

namespace {

class FusedSwiglu final : public OperationBase {
public:
  FusedSwiglu()
      : OperationBase("custom_swiglu", "silu(gate) * up, fused: one read of gate and up, one write",
                      {"custom_swiglu_perf",
                       {"custom_swiglu"},
                       {{"num_tokens", ColumnKind::numeric, AxisTransform::log},
                        {"hidden_size", ColumnKind::numeric, AxisTransform::log},
                        {"dtype", ColumnKind::categorical}}}) {}

protected:
  SolCost cost(const Params& key) const override {
    SolCost c;
    const double elems = key.number("num_tokens") * key.number("hidden_size");
    c.bytes = elems * 2 * 2 + elems * 2;  // gate + up in, product out (bf16)
    c.flops = elems * 5;
    c.compute_dtype = "fp32";
    return c;
  }
};

// dense_gqa with its activation replaced: composition by name, no link to the attention plugin.
class FusedSwigluModel final : public ModelBuilderBase {
public:
  explicit FusedSwigluModel(const ModelBuilder* base)
      : ModelBuilderBase("dense_gqa_fused_swiglu", "dense_gqa with a fused SwiGLU"), base_(base) {}

protected:
  ModelSummary summary(const ModelConfig& cfg) const override {
    ModelSummary s;
    throw_if_error(base_->summarize(cfg, &s));
    return s;
  }
  Model step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const override {
    Model m;
    throw_if_error(base_->build(cfg, par, shape, &m));
    for (auto& inv : m.ops)
      if (inv.op == "activation") {
        inv.op = "custom_swiglu";
        inv.label += " (fused)";
      }
    return m;
  }

private:
  const ModelBuilder* base_;
};

}  // namespace

int main(int argc, char** argv) try {
  example::World w(argc, argv);
  const ModelBuilder* dense = w.reg.find_builder("dense_gqa");
  if (!dense) throw Error("the attention plugin (dense_gqa builder) is not loaded");
  FusedSwiglu op;
  FusedSwigluModel builder(dense);
  w.reg.operations["custom_swiglu"] = Registered<Operation>{std::shared_ptr<Operation>(&op, [](Operation*) {}), "example"};
  w.reg.model_builders["dense_gqa_fused_swiglu"] =
      Registered<ModelBuilder>{std::shared_ptr<ModelBuilder>(&builder, [](ModelBuilder*) {}), "example"};

  const ModelConfig base_cfg = w.config("Qwen3-32B.json");
  ModelConfig fused_cfg = base_cfg;
  fused_cfg.family = "dense_gqa_fused_swiglu";
  Estimator base(w.reg, *w.engine, base_cfg), fused(w.reg, *w.engine, fused_cfg);
  const ParallelConfig par{2, 1, 1, 1, 2};
  RuntimeConfig rt;
  rt.isl = 2048;
  rt.osl = 512;
  rt.batch = 32;
  Estimate a, b;
  throw_if_error(base.estimate_agg(par, rt, &a));
  throw_if_error(fused.estimate_agg(par, rt, &b));
  std::printf("Qwen3-32B, agg, tp 2, batch 32, isl 2048, osl 512\n");
  example::print_figures("dense", a);
  example::print_figures("fused", b);
  for (const auto* e : {&a, &b})
    for (const auto& o : e->request_breakdown)
      if (o.op == "activation" || o.op == "custom_swiglu")
        std::printf("  %-32s %-14s %9.1f ms per request (%4.1f%%), %s\n", o.label.c_str(), o.op.c_str(), o.ms, 100 * o.share,
                    o.missing ? "missing" : to_string(o.provenance));
  std::printf("custom_swiglu has no table yet, so its answer is %s; collect custom_swiglu_perf to measure it.\n",
              "the speed-of-light divided by the system's empirical efficiency");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
