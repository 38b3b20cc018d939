// The mla plugin: config parsing, speed-of-light formulas checked by hand, the module's parts.
#include "deepseek_plugins_fixture.h"

#include <aiconf/query_engine.h>

using namespace aiconf;
using namespace aiconf::test;

TEST_CASE("mla: DeepSeek-V3 maps to deepseek_v3 and its MLA fields are parsed") {
  Registry reg;
  load_real_plugins(reg, {"mla"});
  ModelConfig cfg;
  Status s = load_model_config(example_config("DeepSeek-V3.json"), reg, &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(cfg.family == "deepseek_v3");
  CHECK(cfg.integer("mla", "kv_lora_rank") == 512);
  CHECK(cfg.integer("mla", "q_lora_rank") == 1536);
  CHECK(cfg.integer("mla", "qk_head_dim_mqa") == 576);
  CHECK(cfg.integer("mla", "v_head_dim_mqa") == 512);
}

TEST_CASE("mla: a config without a query latent and bad MLA fields") {
  Registry reg;
  load_real_plugins(reg, {"mla"});
  const std::string base = R"({"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 2048, "num_hidden_layers": 4,
    "num_attention_heads": 16, "intermediate_size": 8192, "vocab_size": 1000, "qk_nope_head_dim": 128,
    "v_head_dim": 128, )";
  ModelConfig cfg;
  SECTION("q_lora_rank null means no query compression") {
    auto path = temp_config("mla_lite.json", base + R"("kv_lora_rank": 512, "qk_rope_head_dim": 64, "q_lora_rank": null})");
    Status s = load_model_config(path, reg, &cfg);
    INFO(s.message());
    REQUIRE(s.is_ok());
    CHECK(cfg.integer("mla", "q_lora_rank") == 0);
  }
  SECTION("odd rope width") {
    auto path = temp_config("mla_odd_rope.json", base + R"("kv_lora_rank": 512, "qk_rope_head_dim": 63})");
    Status s = load_model_config(path, reg, &cfg);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "$.qk_rope_head_dim"));
    CHECK(contains(s.message(), "even"));
  }
  SECTION("latent wider than the hidden state") {
    auto path = temp_config("mla_wide_latent.json", base + R"("kv_lora_rank": 4096, "qk_rope_head_dim": 64})");
    Status s = load_model_config(path, reg, &cfg);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "$.kv_lora_rank"));
    CHECK(contains(s.message(), "less than hidden_size (2048)"));
  }
  SECTION("missing kv_lora_rank") {
    auto path = temp_config("mla_missing.json", base + R"("qk_rope_head_dim": 64})");
    Status s = load_model_config(path, reg, &cfg);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "$.kv_lora_rank: required field is missing"));
  }
}

TEST_CASE("mla: speed-of-light of context, generation and the absorption BMMs") {
  Registry reg;
  load_real_plugins(reg, {"mla"});
  const Params dims{{"kv_lora_rank", 512}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128}};
  SECTION("context, MHA mode: 2 * heads * (192 + 128) per causal pair") {
    Params k = dims;
    k.set("mla_dtype", std::string("bfloat16")).set("kv_cache_dtype", std::string("bfloat16"));
    k.set("num_heads", 128).set("batch_size", 2).set("isl", 1024).set("step", 0);
    SolCost c = sol_of(reg, "mla_context", k);
    // causal pairs of 1024 tokens: 1024 * 1025 / 2 = 524800 per sequence.
    CHECK(c.flops == Approx(2.0 * 128 * 320 * 2 * 524800));
    CHECK(c.compute_dtype == "bf16");
    // q (192 wide), expanded K+V (320 wide) once, out (128 wide), all bf16.
    CHECK(c.bytes == Approx(2.0 * 1024 * 128 * 192 * 2 + 2.0 * 1024 * 128 * 320 * 2 + 2.0 * 1024 * 128 * 128 * 2));
  }
  SECTION("context with an FP8 KV cache: q, K and V read in e4m3, out in bf16, same flops") {
    Params k = dims;
    k.set("mla_dtype", std::string("bfloat16")).set("kv_cache_dtype", std::string("fp8"));
    k.set("num_heads", 128).set("batch_size", 2).set("isl", 1024).set("step", 0);
    SolCost c = sol_of(reg, "mla_context", k);
    CHECK(c.flops == Approx(2.0 * 128 * 320 * 2 * 524800));
    CHECK(c.compute_dtype == "bf16");
    CHECK(c.bytes == Approx(2.0 * 1024 * 128 * 192 * 1 + 2.0 * 1024 * 128 * 320 * 1 + 2.0 * 1024 * 128 * 128 * 2));
  }
  SECTION("generation, absorbed: the whole latent cache once per sequence") {
    Params k = dims;
    k.set("mla_dtype", std::string("bfloat16")).set("kv_cache_dtype", std::string("fp8"));
    k.set("num_heads", 16).set("batch_size", 64).set("isl", 1).set("step", 8191);
    SolCost c = sol_of(reg, "mla_generation", k);
    CHECK(c.flops == Approx(2.0 * 16 * (576 + 512) * 64 * 8192));
    CHECK(c.bytes == Approx(64.0 * 8192 * 656 + 64.0 * 16 * 576 * 2 + 64.0 * 16 * 512 * 2));
  }
  SECTION("BMMs") {
    Params k = dims;
    k.set("bmm_dtype", std::string("bfloat16")).set("num_tokens", 100).set("num_heads", 128);
    SolCost pre = sol_of(reg, "mla_bmm_pre", k);
    CHECK(pre.flops == Approx(2.0 * 100 * 128 * 128 * 512));
    CHECK(pre.bytes == Approx(100.0 * 128 * (128 + 512) * 2 + 128.0 * 128 * 512 * 2));
    k.set("bmm_dtype", std::string("fp8"));
    SolCost post = sol_of(reg, "mla_bmm_post", k);
    CHECK(post.compute_dtype == "fp8");
    CHECK(post.flops == Approx(2.0 * 100 * 128 * 512 * 128));
    CHECK(post.bytes == Approx(100.0 * 128 * (512 + 128) * 2 + 128.0 * 512 * 128 * 1));
  }
  SECTION("a missing key is named") {
    SolCost c;
    Status s = op_of(reg, "mla_generation").speed_of_light(Params{{"num_heads", 16}}, &c);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "kv_lora_rank"));
  }
}

TEST_CASE("mla: the module sums its parts when no table answers") {
  Registry reg;
  load_real_plugins(reg, {"gemm", "mla"});
  SystemSpec sys;
  REQUIRE(load_system_spec(source_dir() + "/perfdb/systems/h200_sxm.json", &sys).is_ok());
  QueryEngine engine(reg, nullptr, sys, QueryMode::sol);
  Params k{{"architecture", std::string("DeepseekV3ForCausalLM")}, {"mla_dtype", std::string("bfloat16")},
           {"kv_cache_dtype", std::string("bfloat16")}, {"gemm_type", std::string("fp8_block")}, {"num_heads", 16},
           {"batch_size", 8}, {"isl", 1}, {"step", 4096}, {"hidden_size", 7168}, {"q_lora_rank", 1536},
           {"kv_lora_rank", 512}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128}};
  Latency lat;
  Status s = engine.query("mla_generation_module", k, &lat);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(lat.parts.size() == 7);  // q_a, q_b, kv_a, bmm_pre, attention, bmm_post, o_proj
  CHECK(lat.parts[0].first == "q_a_proj");
  CHECK(lat.parts[3].first == "q_absorb_bmm");
  CHECK(lat.parts[4].first == "mla_generation");
  CHECK(lat.provenance == Provenance::speed_of_light);
  double sum = 0;
  for (const auto& [label, part] : lat.parts) sum += part.ms;
  CHECK(lat.ms == Approx(sum));
  // Context decompresses K/V with kv_b instead of absorbing.
  k.set("isl", 2048).set("step", 0).set("batch_size", 1);
  REQUIRE(engine.query("mla_context_module", k, &lat).is_ok());
  REQUIRE(lat.parts.size() == 6);
  CHECK(lat.parts[3].first == "kv_b_proj");
}

TEST_CASE("mla: module rows of aiconfigurator's table are found by architecture") {
  const std::string root = shared_dir() + "/reference/aiconfigurator";
  if (!std::filesystem::exists(root + "/h200_sxm")) AICONF_SKIP("no ../shared/reference/aiconfigurator");
  Registry reg;
  load_real_plugins(reg, {"gemm", "mla"});
  SystemSpec sys;
  REQUIRE(load_system_spec(source_dir() + "/perfdb/systems/h200_sxm.json", &sys).is_ok());
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(root, "h200_sxm", &db).is_ok());
  QueryEngine engine(reg, db, sys, QueryMode::hybrid);
  Params k{{"architecture", std::string("DeepseekV3ForCausalLM")}, {"mla_dtype", std::string("bfloat16")},
           {"kv_cache_dtype", std::string("bfloat16")}, {"gemm_type", std::string("bfloat16")}, {"num_heads", 128},
           {"batch_size", 1}, {"isl", 1}, {"step", 4096}, {"hidden_size", 7168}, {"q_lora_rank", 1536},
           {"kv_lora_rank", 512}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128}};
  Latency lat;
  Status s = engine.query("mla_generation_module", k, &lat);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(lat.provenance == Provenance::exact);
  CHECK(lat.parts.empty());
  CHECK(lat.ms > 0.01);
  CHECK(lat.ms < 10);
  // The op-level tables load with the schema without tp_size.
  Params g{{"mla_dtype", std::string("bfloat16")}, {"kv_cache_dtype", std::string("bfloat16")}, {"num_heads", 128},
           {"batch_size", 1}, {"isl", 1}, {"step", 4095}, {"kv_lora_rank", 512}, {"qk_rope_head_dim", 64}};
  s = engine.query("mla_generation", g, &lat);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(lat.provenance == Provenance::exact);
}
