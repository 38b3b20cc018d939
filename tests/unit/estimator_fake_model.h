#pragma once
// A hand-made model family for estimator tests: one builder and one operation registered straight
// into a Registry (shared_ptrs with no-op deleters), with latencies and sizes chosen so that every
// figure can be computed by hand.
#include <aiconf/estimator.h>
#include <aiconf/query_engine.h>

#include <memory>

namespace aiconf::test {

/// Answers key "ms" as its latency (exact), whatever else the key holds.
class FixedOp final : public Operation {
public:
  const char* name() const noexcept override { return "fixed"; }
  const char* description() const noexcept override { return "latency = key ms"; }
  const TableSchema& schema() const noexcept override { return schema_; }
  Status speed_of_light(const Params&, SolCost* out) const noexcept override {
    *out = SolCost{};
    return Status::ok();
  }
  Status query(const Params& key, const QueryContext&, Latency* out) const noexcept override {
    *out = Latency{};
    out->ms = key.number_or("ms", 0);
    out->provenance = key.has("sol") ? Provenance::speed_of_light : Provenance::exact;
    return Status::ok();
  }
  void release() noexcept override {}

private:
  TableSchema schema_{"fixed_perf", {}, {}};
};

/// Context step: token ops 100 ms x 2 per step (any shape), attention 10 ms x batch.
/// Generation step: token ops 4 ms, attention (key has `step`) 1 ms.
/// Sizes: 10 G params (4 G active, 8 experts top-2: experts 8 G, dense 2 G), 2 B each; 1000 B per
/// token per layer over 10 layers; KV heads 4 per rank of 8.
class FakeBuilder final : public ModelBuilder {
public:
  const char* family() const noexcept override { return "fake"; }
  const char* description() const noexcept override { return "hand-computable model"; }
  Status summarize(const ModelConfig&, ModelSummary* out) const noexcept override {
    *out = ModelSummary{};
    out->parameters = 10e9;
    out->active_parameters = 4e9;
    out->weight_bytes = 20e9;
    out->kv_bytes_per_token_per_layer = 1000;
    out->attention_layers = 10;
    return Status::ok();
  }
  Status build(const ModelConfig&, const ParallelConfig& par, const StepShape& s, Model* out) const noexcept override {
    if (par.tp > 8) return Status::error("tp must be at most 8");
    out->ops.clear();
    const bool ctx = s.phase == Phase::context;
    out->ops.push_back({"gemm", Params{{"m", std::int64_t(100)}, {"n", std::int64_t(200)}, {"k", std::int64_t(300)}}, 0, "proj"});
    out->ops.push_back({"fixed", Params{{"ms", ctx ? 100.0 : 4.0}}, 2, "tokens"});
    out->ops.back().count = ctx ? 2 : 1;
    Params attn{{"ms", ctx ? 10.0 * double(s.batch_size) : 1.0},
                {"num_key_value_heads", std::int64_t(4)},
                {"kv_cache_dtype", std::string("bfloat16")},
                {"step", s.past_tokens}};
    out->ops.push_back({"fixed", attn, 1, "attn"});
    out->ops.push_back({"all_reduce", Params{{"nccl_dtype", std::string("half")}, {"message_size", std::int64_t(1000)}}, 0, "ar"});
    return Status::ok();
  }
  void release() noexcept override {}
};

/// Registry, engine and config of the fake family on a made-up system (8 GB HBM, 1 GB reserved).
struct FakeWorld {
  FixedOp op;
  FakeBuilder builder;
  Registry reg;
  SystemSpec sys;
  std::unique_ptr<QueryEngine> engine;
  ModelConfig cfg;
  FakeWorld() {
    reg.operations["fixed"] = Registered<Operation>{std::shared_ptr<Operation>(&op, [](Operation*) {}), "test"};
    reg.model_builders["fake"] = Registered<ModelBuilder>{std::shared_ptr<ModelBuilder>(&builder, [](ModelBuilder*) {}), "test"};
    sys.name = "fake_gpu";
    sys.hbm_capacity_bytes = 8e9;
    sys.reserved_memory_bytes = 1e9;
    sys.gpus_per_node = 8;
    sys.nvlink_gbps = 100;
    engine = std::make_unique<QueryEngine>(reg, nullptr, sys, QueryMode::hybrid);
    cfg.source = "fake.json";
    cfg.family = "fake";
    cfg.core.hidden_size = 64;
    cfg.core.num_key_value_heads = 8;
    cfg.core.num_hidden_layers = 10;
    cfg.set("moe", "num_experts", std::int64_t(8));
    cfg.set("moe", "num_experts_per_tok", std::int64_t(2));
  }
};

}  // namespace aiconf::test
