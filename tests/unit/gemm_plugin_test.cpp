// The gemm plugin: schema, speed-of-light by hand, collector sweeps (generic and from a model).
#include "plugin_test_util.h"

#include <algorithm>

using namespace aiconf;
using namespace aiconf::test;

namespace {
Params gemm_key(const std::string& dtype, std::int64_t m, std::int64_t n, std::int64_t k) {
  return Params{{"gemm_dtype", dtype}, {"m", m}, {"n", n}, {"k", k}};
}
bool has_nk(const std::vector<Params>& cases, std::int64_t n, std::int64_t k) {
  return std::any_of(cases.begin(), cases.end(), [&](const Params& p) { return p.integer("n") == n && p.integer("k") == k; });
}
}  // namespace

TEST_CASE("gemm: schema has aiconfigurator's gemm_perf columns") {
  Registry reg;
  load_plugin("gemm", &reg);
  const Operation* op = nullptr;
  REQUIRE(reg.find_operation("gemm", &op).is_ok());
  const TableSchema& s = op->schema();
  CHECK(s.table == "gemm_perf");
  REQUIRE(s.keys.size() == 4);
  CHECK(s.keys[0].name == "gemm_dtype");
  CHECK(s.keys[0].kind == ColumnKind::categorical);
  for (int i = 1; i < 4; ++i) CHECK(s.keys[i].transform == AxisTransform::log);
}

TEST_CASE("gemm: speed-of-light FLOPs and bytes") {
  Registry reg;
  load_plugin("gemm", &reg);
  SECTION("bfloat16") {
    SolCost c = sol(reg, "gemm", gemm_key("bfloat16", 128, 256, 512));
    CHECK(c.flops == Approx(2.0 * 128 * 256 * 512));
    CHECK(c.compute_dtype == "bf16");
    CHECK(c.bytes == Approx((128 * 512 + 256 * 512) * 2 + 128 * 256 * 2));  // 458752
  }
  SECTION("fp8 per-tensor: 1-byte operands, bf16 output, two scales") {
    SolCost c = sol(reg, "gemm", gemm_key("fp8", 128, 256, 512));
    CHECK(c.compute_dtype == "fp8");
    CHECK(c.bytes == Approx(128 * 512 + 256 * 512 + 128 * 256 * 2 + 8));
  }
  SECTION("fp8_block adds 1x128 activation and 128x128 weight scales") {
    SolCost c = sol(reg, "gemm", gemm_key("fp8_block", 1, 256, 256));
    // x 256 + W 65536 + y 512 + scales (1 x 2 groups + 2 x 2 blocks) x 4 B
    CHECK(c.bytes == Approx(66328));
  }
  SECTION("errors name the key") {
    CHECK(contains(sol_error(reg, "gemm", gemm_key("int3", 1, 1, 1)), "unknown dtype 'int3'"));
    CHECK(contains(sol_error(reg, "gemm", Params{{"gemm_dtype", std::string("bfloat16")}, {"m", std::int64_t(4)}}), "missing key 'n'"));
    CHECK(contains(sol_error(reg, "gemm", gemm_key("bfloat16", 0, 8, 8)), "gemm key 'm'"));
  }
}

TEST_CASE("gemm: collector sweeps m for (n, k) pairs") {
  Registry reg;
  load_plugin("gemm", &reg);
  load_plugin("attention", &reg);  // maps LlamaForCausalLM for the --model case
  SweepOptions quick;
  quick.quick = true;
  CHECK(sweep_cases(reg, "gemm", quick).size() == 8);  // 4 m x (4096, 4096) x bfloat16, fp8

  SweepOptions full;
  const auto generic = sweep_cases(reg, "gemm", full);
  CHECK(has_nk(generic, 8192, 8192));
  std::vector<std::int64_t> ms;
  for (const auto& p : generic)
    if (p.text("gemm_dtype") == "bfloat16" && p.integer("n") == 8192 && p.integer("k") == 8192) ms.push_back(p.integer("m"));
  CHECK(ms.front() == 1);
  CHECK(std::count(ms.begin(), ms.end(), 4096) == 1);
  CHECK(std::count(ms.begin(), ms.end(), 4097) == 1);
  CHECK(ms.back() >= 16384);

  ModelConfig llama = example_config(reg, "Meta-Llama-3.1-70B");
  full.model = &llama;
  const auto model = sweep_cases(reg, "gemm", full);
  CHECK(has_nk(model, (64 + 2 * 8) * 128, 8192));    // qkv, tp 1
  CHECK(has_nk(model, (8 + 2 * 1) * 128, 8192));     // qkv, tp 8
  CHECK(has_nk(model, 8192, 8192));                  // o_proj, tp 1
  CHECK(has_nk(model, 2 * 28672 / 4, 8192));         // gate_up, tp 4
  CHECK(has_nk(model, 8192, 28672 / 8));             // down, tp 8
  CHECK(has_nk(model, 128256, 8192));                // lm_head
  CHECK_FALSE(has_nk(model, 4096, 4096));            // nothing generic
}

TEST_CASE("gemm: registration touches no CUDA and the mock layer matches the operation") {
  Registry reg;
  load_plugin("gemm", &reg);
  auto it = reg.mock_layers.find("gemm");
  if (it == reg.mock_layers.end()) AICONF_SKIP("built without CUDA: no gemm mock layer");
  CHECK(std::string(it->second.object->op_name()) == "gemm");
  // create() must not touch CUDA either (this test machine may have no GPU).
  MockLayer* layer = nullptr;
  REQUIRE(it->second.object->create(&layer).is_ok());
  CHECK(std::string(layer->kernel_source()).rfind("cublaslt", 0) == 0);
  layer->release();
}
