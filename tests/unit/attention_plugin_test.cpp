// The attention plugin: GQA attention speed-of-light by hand, dense_gqa summaries and steps.
#include "perfdb_test_util.h"
#include "plugin_test_util.h"

#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

using namespace aiconf;
using namespace aiconf::test;

namespace {
Params attn_key(std::int64_t b, std::int64_t isl, std::int64_t step, std::int64_t heads, std::int64_t kv,
                const std::string& kv_dtype = "bfloat16", std::int64_t window = 0) {
  return Params{{"batch_size", b}, {"isl", isl}, {"num_heads", heads}, {"num_key_value_heads", kv},
                {"head_dim", std::int64_t(128)}, {"window_size", window}, {"beam_width", std::int64_t(1)},
                {"attn_dtype", std::string("bfloat16")}, {"kv_cache_dtype", kv_dtype}, {"step", step}};
}
const OpInvocation* find(const Model& m, const std::string& label) {
  auto it = std::find_if(m.ops.begin(), m.ops.end(), [&](const OpInvocation& o) { return o.label == label; });
  return it == m.ops.end() ? nullptr : &*it;
}
}  // namespace

TEST_CASE("attention: schemas follow aiconfigurator's attention tables") {
  Registry reg;
  load_plugin("attention", &reg);
  const Operation* op = nullptr;
  REQUIRE(reg.find_operation("context_attention", &op).is_ok());
  CHECK(op->schema().table == "context_attention_perf");
  std::vector<std::string> names;
  for (const auto& c : op->schema().keys) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "window_size",
                                          "beam_width", "attn_dtype", "kv_cache_dtype", "step"});
  CHECK(op->schema().keys[1].transform == AxisTransform::sqrt);
  CHECK(op->schema().keys[4].kind == ColumnKind::categorical);
  CHECK(op->schema().keys[0].transform == AxisTransform::log);     // batch: prefill batches share waves
  REQUIRE(reg.find_operation("generation_attention", &op).is_ok());
  CHECK(op->schema().table == "generation_attention_perf");
  CHECK(op->schema().keys[0].transform == AxisTransform::affine);  // batch: fixed cost + b x KV bytes
  CHECK(op->schema().keys[9].transform == AxisTransform::affine);  // step: fixed cost + cached-token bytes
}

TEST_CASE("attention: decode between measured batches follows a fixed cost plus per-sequence KV bytes") {
  // Decode time t = a + c * b * (step + 1) on a batch grid 1, 2, 4 ... 64: a batch between two
  // measured ones is the straight line between them; a power law between the brackets (the log
  // axis, PCHIP in log-log) misses it (b = 48 between 32 and 64: 0.3-0.7% high here).
  Registry reg;
  load_plugin("attention", &reg);
  test::TempDir dir;
  auto t = [](double b, double step) { return 0.006 + 2e-7 * b * (step + 1); };
  auto text = [](double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.12g", ms);
    return std::string(buf);
  };
  std::ostringstream table;
  table << test::header("batch_size,isl,num_heads,num_key_value_heads,head_dim,window_size,beam_width,attn_dtype,"
                        "kv_cache_dtype,step");
  for (int b = 1; b <= 64; b *= 2)
    for (int step : {1, 1023, 4095, 16383})
      table << test::row(std::to_string(b) + ",1,32,4,128,0,1,bfloat16,bfloat16," + std::to_string(step),
                         text(t(b, step)), "generation_attention");
  dir.write("toy_system/aiconf/0.1.0/generation_attention_perf.txt", table.str());
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(dir.str(), "toy_system", &db).is_ok());
  QueryEngine engine(reg, db, test::toy_system(), QueryMode::silicon);
  for (int step : {1023, 4095}) {
    Latency lat;
    REQUIRE(engine.query("generation_attention", attn_key(48, 1, step, 32, 4), &lat).is_ok());
    CHECK(lat.provenance == Provenance::interpolated);
    CHECK(lat.ms == Approx(t(48, step)).epsilon(1e-5));
  }
}

TEST_CASE("attention: speed-of-light") {
  Registry reg;
  load_plugin("attention", &reg);
  SECTION("context: 4 x head_dim FLOPs per head and causal pair; q, o and K/V bytes") {
    SolCost c = sol(reg, "context_attention", attn_key(2, 4, 0, 8, 2));
    CHECK(c.flops == Approx(4.0 * 8 * 128 * 2 * 10));          // 10 causal pairs per sequence
    CHECK(c.bytes == Approx(2 * (2.0 * 4 * 8 * 128 * 2 + 4.0 * 2 * 2 * 128 * 2)));  // 40960
  }
  SECTION("generation: the KV cache dominates, fp8 cache at 1 byte") {
    SolCost c = sol(reg, "generation_attention", attn_key(4, 1, 1023, 8, 1, "fp8"));
    CHECK(c.flops == Approx(4.0 * 8 * 128 * 4 * 1024));
    CHECK(c.bytes == Approx(4 * (2.0 * 8 * 128 * 2 + 1024.0 * 2 * 1 * 128 * 1)));  // 1064960
  }
  SECTION("sliding window limits pairs") {
    SolCost c = sol(reg, "context_attention", attn_key(1, 8, 0, 1, 1, "bfloat16", 4));
    CHECK(c.flops == Approx(4.0 * 128 * 26));  // 1+2+3+4 then 4 x 4
  }
  SECTION("bad keys") {
    CHECK(contains(sol_error(reg, "context_attention", attn_key(0, 4, 0, 8, 2)), "batch_size"));
    CHECK(contains(sol_error(reg, "generation_attention", attn_key(1, 1, 1, 8, 2, "int3")), "unknown dtype 'int3'"));
  }
}

TEST_CASE("dense_gqa: summaries of Llama-3.1-70B and Qwen3-32B") {
  Registry reg;
  load_plugin("attention", &reg);
  const ModelBuilder* b = reg.find_builder("dense_gqa");
  REQUIRE(b);
  ModelConfig llama = example_config(reg, "Meta-Llama-3.1-70B");
  CHECK(llama.family == "dense_gqa");
  ModelSummary s;
  REQUIRE(b->summarize(llama, &s).is_ok());
  CHECK(s.parameters == Approx(70.55e9).epsilon(0.002));
  CHECK(s.active_parameters == s.parameters);
  CHECK(s.kv_bytes_per_token_per_layer == Approx(2 * 8 * 128 * 2));
  CHECK(s.attention_layers == 80);
  ModelConfig qwen = example_config(reg, "Qwen3-32B");
  REQUIRE(b->summarize(qwen, &s).is_ok());
  CHECK(s.parameters == Approx(32.76e9).epsilon(0.002));
  CHECK(s.weight_bytes == Approx(2 * s.parameters));
}

TEST_CASE("dense_gqa: step operations under tensor and pipeline parallelism") {
  Registry reg;
  load_plugin("attention", &reg);
  const ModelBuilder* b = reg.find_builder("dense_gqa");
  ModelConfig llama = example_config(reg, "Meta-Llama-3.1-70B");
  ParallelConfig par;
  par.tp = 8;
  StepShape shape;
  shape.phase = Phase::context;
  shape.batch_size = 2;
  shape.new_tokens = 1000;
  Model m;
  REQUIRE(b->build(llama, par, shape, &m).is_ok());
  const OpInvocation* qkv = find(m, "layer.attn.qkv_proj");
  REQUIRE(qkv);
  CHECK(qkv->op == "gemm");
  CHECK(qkv->count == 80);
  CHECK(qkv->key.integer("m") == 2000);
  CHECK(qkv->key.integer("n") == (8 + 2 * 1) * 128);
  CHECK(qkv->key.integer("k") == 8192);
  const OpInvocation* attn = find(m, "layer.attn.attention");
  REQUIRE(attn);
  CHECK(attn->op == "context_attention");
  CHECK(attn->key.integer("num_heads") == 8);
  CHECK(attn->key.integer("num_key_value_heads") == 1);
  CHECK(attn->key.integer("isl") == 1000);
  CHECK(find(m, "layer.attn.all_reduce"));
  CHECK(find(m, "layer.mlp.gate_up_proj")->key.integer("n") == 2 * 28672 / 8);
  CHECK(find(m, "layer.mlp.down_proj")->key.integer("k") == 28672 / 8);
  const OpInvocation* head = find(m, "lm_head");
  CHECK(head->key.integer("m") == 2);  // context: last token per sequence
  CHECK(head->key.integer("n") == 128256 / 8);
  CHECK_FALSE(find(m, "pipeline.send_activations"));

  SECTION("generation with pp = 2: half the layers and a p2p hand-off") {
    par = ParallelConfig{};
    par.pp = 2;
    shape.phase = Phase::generation;
    shape.batch_size = 64;
    shape.new_tokens = 1;
    shape.past_tokens = 4096;
    REQUIRE(b->build(llama, par, shape, &m).is_ok());
    CHECK(find(m, "layer.attn.attention")->op == "generation_attention");
    CHECK(find(m, "layer.attn.attention")->count == 40);
    CHECK(find(m, "layer.attn.attention")->key.integer("step") == 4096);
    CHECK(find(m, "pipeline.send_activations"));
    CHECK_FALSE(find(m, "layer.attn.all_reduce"));
    CHECK(find(m, "lm_head")->key.integer("m") == 64);
  }
  SECTION("a tp that does not split the heads is an error naming the field") {
    par.tp = 3;
    Status s = b->build(llama, par, shape, &m);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "num_attention_heads (64) is not divisible by the parallel size 3"));
  }
}

TEST_CASE("attention: collectors need a model and cover its head splits") {
  Registry reg;
  load_plugin("attention", &reg);
  auto it = reg.collectors.find("context_attention");
  REQUIRE(it != reg.collectors.end());
  std::vector<Params> cases;
  Status s = it->second.object->cases(SweepOptions{}, &cases);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "--model"));
  ModelConfig qwen = example_config(reg, "Qwen3-32B");
  SweepOptions opt;
  opt.model = &qwen;
  cases = sweep_cases(reg, "generation_attention", opt);
  REQUIRE_FALSE(cases.empty());
  bool tp8 = false;
  for (const auto& c : cases) {
    CHECK(c.integer("batch_size") * c.integer("step") <= (8ll << 20));
    tp8 = tp8 || (c.integer("num_heads") == 8 && c.integer("num_key_value_heads") == 1);
  }
  CHECK(tp8);
  // aiconfigurator's generation grid, 2^k - 1 cached tokens: with the new token a row holds whole
  // 64-key tiles, so the kernel's latency is a line between grid points (no staircase step).
  std::set<std::int64_t> steps;
  for (const auto& c : cases) steps.insert(c.integer("step"));
  CHECK(steps.size() == 17);
  CHECK(*steps.begin() == 1);
  CHECK(*steps.rbegin() == 131071);
  for (auto s : steps) CHECK(((s + 1) & s) == 0);
}

TEST_CASE("dense_gqa: a config without an MLP width is refused with the field named") {
  Registry reg;
  load_plugin("attention", &reg);
  std::unique_ptr<ConfigView> view;
  REQUIRE(parse_config_text(R"({"architectures":["LlamaForCausalLM"],"hidden_size":4096,"num_hidden_layers":2,
      "num_attention_heads":32,"num_key_value_heads":8,"vocab_size":32000})",
                            "bad.json", &view).is_ok());
  ModelConfig cfg;
  cfg.source = "bad.json";
  REQUIRE(parse_core_fields(*view, &cfg.core).is_ok());
  cfg.family = "dense_gqa";
  ModelSummary s;
  Status st = reg.find_builder("dense_gqa")->summarize(cfg, &s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(contains(st.message(), "bad.json: intermediate_size: expected a positive integer"));
}
