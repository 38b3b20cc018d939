// The memory plugin: byte formulas by hand, one table keyed by op_name, sweeps.
#include "plugin_test_util.h"

using namespace aiconf;
using namespace aiconf::test;

namespace {
Params mem(std::int64_t tokens, std::int64_t width, const std::string& dtype) {
  return Params{{"num_tokens", tokens}, {"hidden_size", width}, {"dtype", dtype}};
}
}  // namespace

TEST_CASE("memory: byte formulas") {
  Registry reg;
  load_plugin("memory", &reg);
  CHECK(sol(reg, "rms_norm", mem(4, 8, "bfloat16")).bytes == Approx(2 * 4 * 8 * 2 + 8 * 2));
  CHECK(sol(reg, "embedding", mem(3, 4, "bfloat16")).bytes == Approx(3 * 4 + 2 * 3 * 4 * 2));
  CHECK(sol(reg, "activation", mem(2, 10, "bfloat16")).bytes == Approx(3 * 2 * 10 * 2));
  CHECK(sol(reg, "quantize", mem(2, 256, "fp8")).bytes == Approx(2 * 256 * 2 + 2 * 256 + 2 * 2 * 4));
  CHECK(sol(reg, "kv_cache_write", mem(2, 256, "fp8")).bytes == Approx(2 * 256 * 2 + 2 * 256));
  CHECK(sol(reg, "elementwise", mem(5, 7, "float32")).bytes == Approx(3 * 5 * 7 * 4));
  CHECK(sol(reg, "rms_norm", mem(4, 8, "bfloat16")).flops == 0);
  CHECK(contains(sol_error(reg, "rms_norm", mem(4, 8, "int3")), "unknown dtype 'int3'"));
  CHECK(contains(sol_error(reg, "embedding", mem(0, 8, "bfloat16")), "num_tokens >= 1"));
}

TEST_CASE("memory: one table, op_name per operation, sweeps from a model") {
  Registry reg;
  load_plugin("memory", &reg);
  load_plugin("attention", &reg);
  for (const char* name : {"embedding", "rms_norm", "activation", "quantize", "kv_cache_write", "elementwise"}) {
    const Operation* op = nullptr;
    REQUIRE(reg.find_operation(name, &op).is_ok());
    CHECK(op->schema().table == "memory_op_perf");
    CHECK(op->schema().op_names == std::vector<std::string>{name});
  }
  ModelConfig llama = example_config(reg, "Meta-Llama-3.1-70B");
  SweepOptions opt;
  opt.model = &llama;
  bool tp8 = false;
  for (const auto& c : sweep_cases(reg, "activation", opt)) tp8 = tp8 || c.integer("hidden_size") == 28672 / 8;
  CHECK(tp8);
  for (const auto& c : sweep_cases(reg, "kv_cache_write", opt)) CHECK(c.integer("hidden_size") % 256 == 0);
}
