// End to end with the real plugins of the build tree: DeepSeek-V3.2 estimates in every mode and a
// search whose frontier is really Pareto. Uses aiconfigurator's reference tables when ../shared is
// there, else no database (hybrid mode answers empirically): the figures must be finite and positive
// either way.
#include "aiconf_test.h"
#include "plugin_test_util.h"

#include <aiconf/estimator.h>
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>
#include <aiconf/search.h>

#include <cmath>
#include <filesystem>

using namespace aiconf;

namespace {

const Registry& real_plugins() { return test::in_tree_plugins(); }

struct World {
  SystemSpec sys;
  std::shared_ptr<PerfDatabase> db;
  std::unique_ptr<QueryEngine> engine;
  ModelConfig cfg;
  std::unique_ptr<Estimator> est;
  explicit World(const std::string& config) {
    throw_if_error(load_system_spec(test::source_dir() + "/perfdb/systems/h200_sxm.json", &sys));
    const std::string ref = test::shared_dir() + "/reference/aiconfigurator";
    if (std::filesystem::exists(ref + "/h200_sxm")) throw_if_error(open_perf_database(ref, "h200_sxm", &db));
    engine = std::make_unique<QueryEngine>(real_plugins(), db, sys, QueryMode::hybrid);
    throw_if_error(load_model_config(test::source_dir() + "/examples/configs/" + config, real_plugins(), &cfg));
    est = std::make_unique<Estimator>(real_plugins(), *engine, cfg);
  }
};

void check_finite(const Estimate& e) {
  for (double v : {e.ttft_ms, e.tpot_ms, e.request_latency_ms, e.tokens_per_s_per_gpu, e.tokens_per_s_per_user, e.memory.total}) {
    CHECK(std::isfinite(v));
    CHECK(v > 0);
  }
  CHECK_FALSE(e.request_breakdown.empty());
  double sum = 0;
  for (const auto& o : e.request_breakdown) sum += o.ms;
  CHECK(sum == Approx(e.request_latency_ms).epsilon(0.02));
}

}  // namespace

TEST_CASE("estimate DeepSeek-V3.2 on 8 x H200 in every mode with the real plugins") {
  World w("DeepSeek-V3.2.json");
  if (!w.est->builder()) AICONF_SKIP("no model builder for deepseek_v32 in the build's plugins yet");
  ParallelConfig par{8, 1, 1, 8, 1};
  RuntimeConfig rt;
  rt.isl = 4096;
  rt.osl = 1024;
  rt.batch = 16;
  Estimate e;
  REQUIRE(w.est->estimate_static(par, rt, &e).is_ok());
  check_finite(e);
  CHECK(e.memory.weights > 60e9);  // 671 B parameters at fp8 over 8 GPUs
  CHECK(e.memory.weights < 100e9);
  CHECK(e.fits);
  REQUIRE(w.est->estimate_agg(par, rt, &e).is_ok());
  check_finite(e);
  CHECK(e.mixed_steps > 0);
  REQUIRE(w.est->estimate_disagg(par, par, rt, 16, &e).is_ok());
  check_finite(e);
  CHECK(e.prefill_workers >= 1);
  CHECK(e.decode_workers >= 1);
  CHECK(e.gpus <= 16);
}

TEST_CASE("search DeepSeek-V3.2 on 16 x H200: non-empty frontier that is Pareto") {
  World w("DeepSeek-V3.2.json");
  if (!w.est->builder()) AICONF_SKIP("no model builder for deepseek_v32 in the build's plugins yet");
  SearchOptions o;
  o.total_gpus = 16;
  o.rt.isl = 4096;
  o.rt.osl = 1024;
  SearchResult r;
  REQUIRE(run_search(*w.est, o, &r).is_ok());
  REQUIRE_FALSE(r.frontier.empty());
  CHECK(r.rejected_memory > 0);  // tp1 dp1 cannot hold 671 B parameters
  for (std::size_t i = 1; i < r.frontier.size(); ++i) {
    CHECK(r.frontier[i].tokens_per_s_per_user < r.frontier[i - 1].tokens_per_s_per_user);
    CHECK(r.frontier[i].tokens_per_s_per_gpu > r.frontier[i - 1].tokens_per_s_per_gpu);
  }
  for (const auto& k : r.kept) {
    CHECK(k.memory_bytes <= w.sys.hbm_capacity_bytes);
    bool covered = false;  // every kept point is matched or beaten by a frontier point
    for (const auto& f : r.frontier)
      covered = covered || (f.tokens_per_s_per_gpu >= k.tokens_per_s_per_gpu && f.tokens_per_s_per_user >= k.tokens_per_s_per_user);
    CHECK(covered);
  }
}

TEST_CASE("estimate the other shipped models: DeepSeek-V3, Qwen3-32B, Qwen3-235B-A22B") {
  struct Case {
    const char* config;
    ParallelConfig par;
  };
  for (const Case& c : {Case{"DeepSeek-V3.json", {8, 1, 1, 8, 1}}, Case{"Qwen3-32B.json", {2, 1, 1, 1, 2}},
                        Case{"Qwen3-235B-A22B.json", {4, 1, 1, 4, 1}}}) {
    World w(c.config);
    if (!w.est->builder()) {
      WARN(std::string("no model builder for ") + w.cfg.family);
      continue;
    }
    RuntimeConfig rt;
    rt.isl = 2048;
    rt.osl = 256;
    rt.batch = 8;
    Estimate e;
    INFO(c.config);
    REQUIRE(w.est->estimate_agg(c.par, rt, &e).is_ok());
    check_finite(e);
  }
}
