// The sparse_mla plugin: config parsing, sparse MLA speed-of-light by hand, the DSA module's
// parts, its speed-of-light as the sum of the parts', and the message when a plugin is missing.
#include "deepseek_plugins_fixture.h"

#include <aiconf/query_engine.h>

using namespace aiconf;
using namespace aiconf::test;

namespace {

Params dsa_module_key(std::int64_t heads, std::int64_t batch, std::int64_t isl, std::int64_t step) {
  return Params{{"architecture", std::string("DeepseekV32ForCausalLM")}, {"mla_dtype", std::string("bfloat16")},
                {"kv_cache_dtype", std::string("bfloat16")}, {"gemm_type", std::string("bfloat16")}, {"num_heads", heads},
                {"batch_size", batch}, {"isl", isl}, {"step", step}, {"hidden_size", 7168}, {"q_lora_rank", 1536},
                {"kv_lora_rank", 512}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64}, {"v_head_dim", 128},
                {"index_n_heads", 64}, {"index_head_dim", 128}, {"index_topk", 2048}};
}

SystemSpec h200() {
  SystemSpec sys;
  REQUIRE(load_system_spec(source_dir() + "/perfdb/systems/h200_sxm.json", &sys).is_ok());
  return sys;
}

}  // namespace

TEST_CASE("sparse_mla: DeepSeek-V3.2's MLA fields and MQA widths") {
  Registry reg;
  load_real_plugins(reg, {"dsa_indexer", "sparse_mla"});
  ModelConfig cfg;
  Status s = load_model_config(example_config("DeepSeek-V3.2.json"), reg, &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(cfg.extension_owner.at("sparse_mla") == "sparse_mla");
  CHECK(cfg.integer("sparse_mla", "qk_head_dim_mqa") == 576);
  CHECK(cfg.integer("sparse_mla", "v_head_dim_mqa") == 512);
  CHECK(cfg.integer("sparse_mla", "num_attention_heads") == 128);
}

TEST_CASE("sparse_mla: a DSA config without a query latent is refused") {
  Registry reg;
  load_real_plugins(reg, {"sparse_mla"});
  auto path = temp_config("dsa_no_q_lora.json", R"({"architectures": ["DeepseekV32ForCausalLM"], "hidden_size": 2048,
    "num_hidden_layers": 2, "num_attention_heads": 16, "intermediate_size": 4096, "vocab_size": 100,
    "kv_lora_rank": 256, "qk_rope_head_dim": 64, "qk_nope_head_dim": 64, "v_head_dim": 64})");
  // Without dsa_indexer nobody maps the architecture: use a registry that has the mapping.
  load_real_plugins(reg, {"dsa_indexer"});
  ModelConfig cfg;
  Status s = load_model_config(path, reg, &cfg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "$.q_lora_rank"));
}

TEST_CASE("sparse_mla: speed-of-light by hand") {
  Registry reg;
  load_real_plugins(reg, {"sparse_mla"});
  SECTION("context, bf16 cache: queries past index_topk keep 2048 keys") {
    Params k{{"num_heads", 128}, {"kv_lora_rank", 512}, {"qk_rope_head_dim", 64}, {"index_topk", 2048},
             {"kv_cache_dtype", std::string("bfloat16")}, {"batch_size", 1}, {"isl", 4096}, {"step", 0}};
    SolCost c = sol_of(reg, "sparse_mla_context", k);
    // Tokens 0..2047 see i+1 keys (2048*2049/2 = 2,098,176 pairs); tokens 2048..4095 keep 2048 each.
    const double pairs = 2098176.0 + 2048.0 * 2048;
    CHECK(c.flops == Approx(278528.0 * pairs));  // 2 * 128 * (576 + 512)
    CHECK(c.bytes == Approx(4096.0 * 128 * 576 * 2 + pairs * (1152 + 4) + 4096.0 * 128 * 512 * 2));
  }
  SECTION("generation, FP8 cache: 656 B per gathered row") {
    Params k{{"num_heads", 16}, {"kv_lora_rank", 512}, {"qk_rope_head_dim", 64}, {"index_topk", 2048},
             {"kv_cache_dtype", std::string("fp8")}, {"batch_size", 64}, {"isl", 1}, {"step", 8191}};
    SolCost c = sol_of(reg, "sparse_mla_generation", k);
    CHECK(c.flops == Approx(2.0 * 16 * 1088 * 64 * 2048));
    CHECK(c.bytes == Approx(64.0 * 16 * 576 * 2 + 64.0 * 2048 * (656 + 4) + 64.0 * 16 * 512 * 2));
  }
  SECTION("a bad cache dtype is named") {
    Params k{{"num_heads", 16}, {"kv_lora_rank", 512}, {"qk_rope_head_dim", 64}, {"index_topk", 2048},
             {"kv_cache_dtype", std::string("int4")}, {"batch_size", 1}, {"isl", 1}, {"step", 10}};
    SolCost c;
    Status s = op_of(reg, "sparse_mla_generation").speed_of_light(k, &c);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "kv_cache_dtype"));
  }
}

TEST_CASE("sparse_mla: the DSA module's speed-of-light is the sum of its parts'") {
  Registry reg;
  load_real_plugins(reg, {"sparse_mla"});
  SolCost c = sol_of(reg, "dsa_context_module", dsa_module_key(128, 1, 1024, 0));
  const double m = 1024;
  const double gemm = 2 * m * (7168.0 * 1536 + 1536.0 * 128 * 192 + 7168.0 * 576 + 1536.0 * 64 * 128 + 7168.0 * 128 +
                               7168.0 * 64 + 128.0 * 128 * 7168);
  const double bmm = 2 * (2 * m * 128 * 128 * 512);
  const double causal = 1024.0 * 1025 / 2;  // below index_topk every visible key is selected
  const double logits_fp8 = 2.0 * 64 * 128 * causal;
  const double sparse = 278528.0 * causal;
  CHECK(c.compute_dtype == "bf16");
  CHECK(c.flops == Approx(gemm + bmm + sparse + logits_fp8 / 2));  // fp8 FLOPs count half
  CHECK(c.kernels == 12);
}

TEST_CASE("sparse_mla: the DSA module sums its parts, and names the plugin a part needs") {
  SystemSpec sys = h200();
  SECTION("all plugins loaded") {
    Registry reg;
    load_real_plugins(reg, {"gemm", "dsa_indexer", "mla", "sparse_mla"});
    QueryEngine engine(reg, nullptr, sys, QueryMode::sol);
    Latency lat;
    Status s = engine.query("dsa_generation_module", dsa_module_key(16, 32, 1, 8192), &lat);
    INFO(s.message());
    REQUIRE(s.is_ok());
    REQUIRE(lat.parts.size() == 12);
    CHECK(lat.parts[6].first == "indexer.logits");
    CHECK(lat.parts[7].first == "indexer.topk");
    CHECK(lat.parts[8].first == "q_absorb_bmm");
    CHECK(lat.parts[9].first == "sparse_mla");
    CHECK(lat.parts[11].first == "o_proj");
    CHECK(lat.provenance == Provenance::speed_of_light);
    double sum = 0;
    for (const auto& [label, part] : lat.parts) sum += part.ms;
    CHECK(lat.ms == Approx(sum));
  }
  SECTION("without mla the absorption BMMs become gemm queries") {
    Registry reg;
    load_real_plugins(reg, {"gemm", "dsa_indexer", "sparse_mla"});
    QueryEngine engine(reg, nullptr, sys, QueryMode::sol);
    Latency lat;
    REQUIRE(engine.query("dsa_context_module", dsa_module_key(128, 1, 512, 0), &lat).is_ok());
    CHECK(contains(lat.parts[8].first, "mla_bmm_pre not loaded"));
  }
  SECTION("without dsa_indexer the error names it") {
    Registry reg;
    load_real_plugins(reg, {"gemm", "mla", "sparse_mla"});
    QueryEngine engine(reg, nullptr, sys, QueryMode::sol);
    Latency lat;
    Status s = engine.query("dsa_context_module", dsa_module_key(128, 1, 512, 0), &lat);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), "dsa_indexer_logits_context"));
    CHECK(contains(s.message(), "libaiconf_dsa_indexer.so"));
  }
}

TEST_CASE("sparse_mla: aiconfigurator's DSA module rows are told apart by architecture") {
  const std::string root = shared_dir() + "/reference/aiconfigurator";
  if (!std::filesystem::exists(root + "/h200_sxm")) AICONF_SKIP("no ../shared/reference/aiconfigurator");
  Registry reg;
  load_real_plugins(reg, {"gemm", "dsa_indexer", "mla", "sparse_mla"});
  std::shared_ptr<PerfDatabase> db;
  PerfDatabaseOptions opt;
  opt.backend = "trtllm";
  REQUIRE(open_perf_database(root, "h200_sxm", opt, &db).is_ok());
  QueryEngine engine(reg, db, h200(), QueryMode::hybrid);
  Latency ds, glm;
  Params k = dsa_module_key(128, 1, 4096, 0);
  Status s = engine.query("dsa_context_module", k, &ds);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(ds.provenance == Provenance::exact);
  k.set("architecture", std::string("GlmMoeDsaForCausalLM"));
  REQUIRE(engine.query("dsa_context_module", k, &glm).is_ok());
  CHECK(glm.provenance == Provenance::exact);
  CHECK(ds.ms != Approx(glm.ms));
  // An architecture the table has never seen: summed from the parts.
  k.set("architecture", std::string("AcmeDsaForCausalLM"));
  REQUIRE(engine.query("dsa_context_module", k, &glm).is_ok());
  CHECK(glm.parts.size() == 12);
}

TEST_CASE("sparse_mla: a module summed from measured rows drops the per-row overhead of all parts but one") {
  const std::string root = std::string(AICONF_SOURCE_DIR) + "/perfdb";
  Registry reg;
  load_real_plugins(reg, {"gemm", "dsa_indexer", "mla", "sparse_mla"});
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(root, "h100_sxm", &db).is_ok());
  // An architecture the module table has never seen, so the module is summed from its op rows.
  Params k = dsa_module_key(128, 64, 1, 8192);
  k.set("architecture", std::string("AcmeDsaForCausalLM"));
  SystemSpec plain = h200(), corrected = h200();
  plain.row_overhead_us = 0;
  corrected.row_overhead_us = 2.5;
  Latency a, b;
  REQUIRE(QueryEngine(reg, db, plain, QueryMode::hybrid).query("dsa_generation_module", k, &a).is_ok());
  REQUIRE(QueryEngine(reg, db, corrected, QueryMode::hybrid).query("dsa_generation_module", k, &b).is_ok());
  int measured = 0;
  for (const auto& [label, part] : a.parts)
    measured += part.provenance == Provenance::exact || part.provenance == Provenance::interpolated ||
                part.provenance == Provenance::extrapolated;
  REQUIRE(measured >= 2);
  INFO("a: " << a.ms << " " << a.note << " / b: " << b.ms << " " << b.note);
  CHECK(a.ms - b.ms == Approx((measured - 1) * 0.0025).epsilon(1e-9));
  CHECK(contains(b.note, "row_overhead_us"));
  CHECK_FALSE(contains(a.note, "row_overhead_us"));
}
