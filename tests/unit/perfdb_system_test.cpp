// System specs and the speed-of-light formula.
#include "aiconf_test.h"
#include "perfdb_test_util.h"

#include <aiconf/operation.h>
#include <aiconf/system.h>

using namespace aiconf;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("the shipped system specs load, measured ceilings first") {
  for (const char* name : {"h100_sxm", "h200_sxm"}) {
    SystemSpec s;
    std::string path = test::source_dir() + "/perfdb/systems/" + name + ".json";
    INFO(path);
    REQUIRE(load_system_spec(path, &s).is_ok());
    CHECK(s.name == name);
    CHECK(s.bf16_tflops == Approx(989.4));
    CHECK(s.flops_per_second("bf16") == Approx(s.measured_bf16_tflops * 1e12));
    CHECK(s.flops_per_second("fp8_block") == Approx(s.measured_fp8_tflops * 1e12));
    CHECK(s.bytes_per_second() == Approx(s.measured_hbm_tbps * 1e12));
    for (const char* field : {"bf16_tflops", "fp8_tflops", "hbm_tbps", "hbm_capacity_gib", "measured_bf16_tflops",
                              "measured_fp8_tflops", "measured_hbm_tbps", "nvlink_gbps", "network_gbps"})
      CHECK(s.sources.count(field) == 1);
  }
  SystemSpec h200;
  REQUIRE(load_system_spec(test::source_dir() + "/perfdb/systems/h200_sxm.json", &h200).is_ok());
  CHECK(h200.measured_bf16_tflops == Approx(784.5));  // our own cuBLASLt run (bench/ceilings)
  CHECK(h200.measured_hbm_tbps == Approx(4.21));
  CHECK(h200.hbm_capacity_bytes == Approx(141.0 * 1073741824.0));
}

TEST_CASE("system spec errors name the file and the field") {
  test::TempDir dir;
  SystemSpec s;
  std::string p = dir.write("a.json", R"({"name": "x", "fp8_tflops": 1, "hbm_tbps": 1, "hbm_capacity_gib": 1})");
  Status st = load_system_spec(p, &s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(contains(st.message(), p));
  CHECK(contains(st.message(), "'bf16_tflops' is missing"));
  p = dir.write("b.json", R"({"name": "x", "bf16_tflops": 1, "fp8_tflops": 1, "hbm_tbps": 1, "hbm_capacity_gib": 1, "hbm_tpbs": 2})");
  st = load_system_spec(p, &s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(contains(st.message(), "unknown field 'hbm_tpbs'"));
  p = dir.write("c.json", R"({"name": "x", "bf16_tflops": 1, "fp8_tflops": 1, "hbm_tbps": 1, "hbm_capacity_gib": 1,
                             "empirical_efficiency": {"gemm": 1.5}})");
  st = load_system_spec(p, &s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(contains(st.message(), "empirical_efficiency.gemm"));
  CHECK(contains(st.message(), "(0, 1]"));
  p = dir.write("d.json", "{nope");
  st = load_system_spec(p, &s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(contains(st.message(), "not valid JSON"));
}

TEST_CASE("speed-of-light: max(compute, memory) + communication + launches") {
  SystemSpec s;
  s.bf16_tflops = 1000;          // datasheet
  s.measured_bf16_tflops = 800;  // measured wins
  s.fp8_tflops = 2000;
  s.hbm_tbps = 4;
  s.nvlink_gbps = 400;
  s.kernel_launch_us = 2;
  SolCost c;
  c.flops = 8e12;  // 10 ms at 800 TFLOP/s
  c.bytes = 2e10;  // 5 ms at 4 TB/s
  c.kernels = 3;
  CHECK(sol_seconds(c, s) == Approx(0.010 + 6e-6));
  c.compute_dtype = "fp8";
  c.bytes = 0;
  CHECK(sol_seconds(c, s) == Approx(0.004 + 6e-6));
  c.comm_bytes = 4e8;  // 1 ms at 400 GB/s
  c.comm_latency_s = 1e-5;
  CHECK(sol_seconds(c, s) == Approx(0.004 + 0.001 + 1e-5 + 6e-6));
}

TEST_CASE("query modes and provenances have names") {
  QueryMode m;
  REQUIRE(parse_query_mode("silicon", &m).is_ok());
  CHECK(m == QueryMode::silicon);
  REQUIRE(parse_query_mode("sol", &m).is_ok());
  CHECK(std::string(to_string(m)) == "sol");
  Status s = parse_query_mode("fast", &m);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "expected silicon, hybrid, empirical or sol"));
  CHECK(std::string(to_string(Provenance::extrapolated)) == "extrapolated");
}
