// The Pareto filter and the search space on hand-made cases.
#include "aiconf_test.h"
#include "estimator_fake_model.h"

#include <aiconf/search.h>

using namespace aiconf;

namespace {
SearchPoint pt(double gpu, double user, std::int64_t id) {
  SearchPoint p;
  p.tokens_per_s_per_gpu = gpu;
  p.tokens_per_s_per_user = user;
  p.batch = id;
  return p;
}
}  // namespace

TEST_CASE("pareto frontier keeps exactly the non-dominated points") {
  // (gpu, user): 1 (10,100) 2 (20,80) 3 (15,70: dominated by 2) 4 (30,50) 5 (30,40: dominated by 4)
  // 6 (5,100: dominated by 1) 7 (20,80: equal to 2, dropped) 8 (40,10)
  std::vector<SearchPoint> in{pt(10, 100, 1), pt(20, 80, 2), pt(15, 70, 3), pt(30, 50, 4),
                              pt(30, 40, 5),  pt(5, 100, 6), pt(20, 80, 7), pt(40, 10, 8)};
  auto f = pareto_frontier(in);
  REQUIRE(f.size() == 4);
  CHECK(f[0].batch == 1);
  CHECK(f[1].batch == 2);
  CHECK(f[2].batch == 4);
  CHECK(f[3].batch == 8);
  CHECK(pareto_frontier({}).empty());
  CHECK(pareto_frontier({pt(1, 1, 9)}).size() == 1);
}

TEST_CASE("search space: tp x dp = moe_tp x ep, experts divisible by ep, no DP for dense models") {
  ModelConfig moe;
  moe.core.num_hidden_layers = 4;
  moe.set("moe", "num_experts", std::int64_t(8));
  for (const auto& p : enumerate_parallel(moe, 16, 8, 4)) {
    CHECK(p.moe_tp * p.ep == p.tp * p.dp);
    CHECK(8 % p.ep == 0);
    CHECK(p.gpus() <= 16);
    CHECK(p.pp <= 4);
  }
  ModelConfig dense;
  dense.core.num_hidden_layers = 4;
  auto d = enumerate_parallel(dense, 8, 8, 4);
  for (const auto& p : d) CHECK((p.dp == 1 && p.ep == 1 && p.moe_tp == p.tp));
  // tp 1,2,4,8 x pp 1,2,4 with tp x pp <= 8: 1x(1,2,4) 2x(1,2,4) 4x(1,2) 8x1 = 9.
  CHECK(d.size() == 9);
}

TEST_CASE("search on the fake model: frontier is Pareto over the kept points, limits hold, invalid configs counted") {
  aiconf::test::FakeWorld w;
  Estimator est(w.reg, *w.engine, w.cfg);
  SearchOptions o;
  o.total_gpus = 16;
  o.rt.isl = 1000;
  o.rt.osl = 101;
  o.max_tp = 16;  // tp 16 is rejected by the fake builder
  o.tpot_limit_ms = 50;
  o.threads = 2;
  SearchResult r;
  REQUIRE(run_search(est, o, &r).is_ok());
  CHECK(r.invalid_configs > 0);
  REQUIRE_FALSE(r.frontier.empty());
  for (const auto& p : r.kept) CHECK(p.tpot_ms <= 50);
  for (const auto& f : r.frontier)
    for (const auto& k : r.kept) {
      const bool dominates = k.tokens_per_s_per_gpu >= f.tokens_per_s_per_gpu && k.tokens_per_s_per_user >= f.tokens_per_s_per_user &&
                             (k.tokens_per_s_per_gpu > f.tokens_per_s_per_gpu || k.tokens_per_s_per_user > f.tokens_per_s_per_user);
      CHECK_FALSE(dominates);
    }
}
