// The moe plugin: name normalization of the config extension, routed-expert speed-of-light by
// hand, moe_gqa summaries (Qwen3-235B-A22B, Mixtral) and steps.
#include "plugin_test_util.h"

#include <algorithm>
#include <cmath>

using namespace aiconf;
using namespace aiconf::test;

namespace {
Params moe_key(std::int64_t tokens, std::int64_t ep, const std::string& dist = "balanced") {
  return Params{{"moe_dtype", std::string("bfloat16")}, {"num_tokens", tokens}, {"hidden_size", std::int64_t(1024)},
                {"inter_size", std::int64_t(512)}, {"topk", std::int64_t(2)}, {"num_experts", std::int64_t(8)},
                {"moe_tp_size", std::int64_t(1)}, {"moe_ep_size", ep}, {"distribution", dist}};
}
// Runs the moe parser on JSON text for a family, as load_model_config would.
Status parse_as(const Registry& reg, const std::string& json, const std::string& family, ModelConfig* cfg) {
  std::unique_ptr<ConfigView> view;
  REQUIRE(parse_config_text(json, "test.json", &view).is_ok());
  cfg->source = "test.json";
  REQUIRE(parse_core_fields(*view, &cfg->core).is_ok());
  cfg->family = family;
  for (const auto& p : reg.config_parsers)
    if (std::string(p.object->extension()) == "moe") return p.object->parse(*view, cfg);
  FAIL("no moe parser");
  return Status::ok();
}
const OpInvocation* find(const Model& m, const std::string& label) {
  auto it = std::find_if(m.ops.begin(), m.ops.end(), [&](const OpInvocation& o) { return o.label == label; });
  return it == m.ops.end() ? nullptr : &*it;
}
const char* kDeepSeekLike = R"({"architectures":["DeepseekV3ForCausalLM"],"hidden_size":7168,"num_hidden_layers":61,
  "num_attention_heads":128,"num_key_value_heads":128,"intermediate_size":18432,"vocab_size":129280,
  "n_routed_experts":256,"num_experts_per_tok":8,"moe_intermediate_size":2048,"n_shared_experts":1,
  "first_k_dense_replace":3,"moe_layer_freq":1})";
}  // namespace

TEST_CASE("moe: config extension normalizes names across families") {
  Registry reg;
  load_plugin("moe", &reg);
  SECTION("Mixtral: num_local_experts and intermediate_size") {
    ModelConfig cfg = example_config(reg, "Mixtral-8x7B-v0.1");
    CHECK(cfg.family == "moe_gqa");
    CHECK(cfg.integer("moe", "num_experts") == 8);
    CHECK(cfg.integer("moe", "num_experts_per_tok") == 2);
    CHECK(cfg.integer("moe", "moe_intermediate_size") == 14336);
    CHECK(cfg.integer("moe", "num_shared_experts") == 0);
    CHECK(cfg.integer("moe", "first_k_dense") == 0);
    CHECK(cfg.integer("moe", "num_moe_layers") == 32);
  }
  SECTION("Qwen3-MoE: num_experts, moe_intermediate_size, decoder_sparse_step") {
    ModelConfig cfg = example_config(reg, "Qwen3-235B-A22B");
    CHECK(cfg.integer("moe", "num_experts") == 128);
    CHECK(cfg.integer("moe", "moe_intermediate_size") == 1536);
    CHECK(cfg.integer("moe", "moe_layer_freq") == 1);
    CHECK(cfg.integer("moe", "num_moe_layers") == 94);
  }
  SECTION("DeepSeek: n_routed_experts, n_shared_experts, first_k_dense_replace") {
    ModelConfig cfg;
    REQUIRE(parse_as(reg, kDeepSeekLike, "deepseek_v3", &cfg).is_ok());
    CHECK(cfg.integer("moe", "num_experts") == 256);
    CHECK(cfg.integer("moe", "num_shared_experts") == 1);
    CHECK(cfg.integer("moe", "first_k_dense") == 3);
    CHECK(cfg.integer("moe", "num_moe_layers") == 58);
  }
  SECTION("errors name the field") {
    ModelConfig cfg;
    Status s = parse_as(reg, R"({"architectures":["MixtralForCausalLM"],"hidden_size":64,"num_hidden_layers":2,
        "num_attention_heads":4,"intermediate_size":128,"vocab_size":100,"num_experts_per_tok":2})", "moe_gqa", &cfg);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "test.json"));
    CHECK(contains(s.message(), "n_routed_experts, num_experts or num_local_experts"));
    ModelConfig cfg2;
    s = parse_as(reg, R"({"architectures":["MixtralForCausalLM"],"hidden_size":64,"num_hidden_layers":2,
        "num_attention_heads":4,"intermediate_size":128,"vocab_size":100,"num_local_experts":4,"num_experts_per_tok":6})",
                 "moe_gqa", &cfg2);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "num_experts_per_tok"));
    CHECK(contains(s.message(), "at most the 4 routed experts"));
  }
}

TEST_CASE("moe: speed-of-light of the routed experts") {
  Registry reg;
  load_plugin("moe", &reg);
  SECTION("balanced, one GPU: every expert hit") {
    SolCost c = sol(reg, "moe", moe_key(16, 1));
    CHECK(c.flops == Approx(32.0 * 3 * 2 * 1024 * 512));
    CHECK(c.bytes == Approx(8.0 * 3 * 1024 * 512 * 2 + 32.0 * 1024 * 4));
  }
  SECTION("expert parallel: half the assignments and half the experts per GPU") {
    SolCost c = sol(reg, "moe", moe_key(16, 2));
    CHECK(c.flops == Approx(16.0 * 3 * 2 * 1024 * 512));
    CHECK(c.bytes == Approx(4.0 * 3 * 1024 * 512 * 2 + 16.0 * 1024 * 4));
  }
  SECTION("decode-sized batch: only the experts actually hit are read") {
    SolCost c = sol(reg, "moe", moe_key(1, 1));  // 2 assignments -> 2 experts
    CHECK(c.bytes == Approx(2.0 * 3 * 1024 * 512 * 2 + 2.0 * 1024 * 4));
    SolCost skew = sol(reg, "moe", moe_key(1, 1, "power_law_1.01"));  // expected distinct of 2 random picks of 8
    const double hit = 8 * (1 - std::pow(7.0 / 8, 2));
    CHECK(skew.bytes == Approx(hit * 3 * 1024 * 512 * 2 + 2.0 * 1024 * 4));
  }
  SECTION("bad keys") {
    CHECK(contains(sol_error(reg, "moe", moe_key(16, 16)), "moe_ep_size <= num_experts"));
    CHECK(contains(sol_error(reg, "moe", Params(moe_key(16, 1)).set("moe_dtype", std::string("int2"))), "moe_dtype"));
  }
}

TEST_CASE("moe_gqa: summaries of Qwen3-235B-A22B and Mixtral-8x7B") {
  Registry reg;
  load_plugin("moe", &reg);
  const ModelBuilder* b = reg.find_builder("moe_gqa");
  REQUIRE(b);
  ModelSummary s;
  ModelConfig qwen = example_config(reg, "Qwen3-235B-A22B");
  REQUIRE(b->summarize(qwen, &s).is_ok());
  CHECK(s.parameters == Approx(235.1e9).epsilon(0.003));
  CHECK(s.active_parameters == Approx(22.2e9).epsilon(0.01));
  CHECK(s.kv_bytes_per_token_per_layer == Approx(2 * 4 * 128 * 2));
  ModelConfig mixtral = example_config(reg, "Mixtral-8x7B-v0.1");
  REQUIRE(b->summarize(mixtral, &s).is_ok());
  CHECK(s.parameters == Approx(46.7e9).epsilon(0.003));
  CHECK(s.active_parameters == Approx(12.9e9).epsilon(0.01));
}

TEST_CASE("moe_gqa: step with attention DP and expert parallelism") {
  Registry reg;
  load_plugin("moe", &reg);
  const ModelBuilder* b = reg.find_builder("moe_gqa");
  ModelConfig qwen = example_config(reg, "Qwen3-235B-A22B");
  ParallelConfig par;
  par.tp = 4;
  par.dp = 2;
  par.ep = 8;
  par.moe_tp = 1;
  StepShape shape;
  shape.phase = Phase::generation;
  shape.batch_size = 32;
  shape.new_tokens = 1;
  shape.past_tokens = 2048;
  Model m;
  REQUIRE(b->build(qwen, par, shape, &m).is_ok());
  const OpInvocation* experts = find(m, "moe_layer.experts");
  REQUIRE(experts);
  CHECK(experts->op == "moe");
  CHECK(experts->count == 94);
  CHECK(experts->key.integer("num_tokens") == 64);  // both DP ranks' tokens
  CHECK(experts->key.integer("moe_ep_size") == 8);
  CHECK(experts->key.integer("inter_size") == 1536);
  const OpInvocation* dispatch = find(m, "moe_layer.dispatch");
  REQUIRE(dispatch);
  CHECK(dispatch->op == "alltoall");
  CHECK(dispatch->key.integer("num_gpus") == 8);
  CHECK(find(m, "moe_layer.combine"));
  CHECK(find(m, "moe_layer.router")->key.integer("n") == 128);
  CHECK(find(m, "layer.attn.attention")->key.integer("num_key_value_heads") == 1);
  CHECK_FALSE(find(m, "dense_layer.mlp.gate_up_proj"));

  SECTION("moe_tp x ep must cover tp x dp") {
    par.ep = 4;
    Status s = b->build(qwen, par, shape, &m);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "must equal tp x dp (8)"));
  }
  SECTION("pure tensor parallel: an all-reduce after the experts") {
    par = ParallelConfig{};
    par.tp = 4;
    par.moe_tp = 4;
    REQUIRE(b->build(qwen, par, shape, &m).is_ok());
    CHECK(find(m, "moe_layer.all_reduce"));
    CHECK_FALSE(find(m, "moe_layer.dispatch"));
    CHECK(find(m, "moe_layer.experts")->key.integer("num_tokens") == 32);
  }
}

TEST_CASE("moe: collector uses the model's expert shape") {
  Registry reg;
  load_plugin("moe", &reg);
  ModelConfig mixtral = example_config(reg, "Mixtral-8x7B-v0.1");
  SweepOptions opt;
  opt.model = &mixtral;
  const auto cases = sweep_cases(reg, "moe", opt);
  REQUIRE_FALSE(cases.empty());
  for (const auto& c : cases) {
    CHECK(c.integer("hidden_size") == 4096);
    CHECK(c.integer("moe_tp_size") * c.integer("moe_ep_size") <= 16);
    CHECK(8 % c.integer("moe_ep_size") == 0);
  }
}
