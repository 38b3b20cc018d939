// aiconf_bench_search: times run_search (agg + disagg, default search space) for DeepSeek-V3.2 on
// 8, 16, 32 and 64 H200s. Each measurement uses a fresh Estimator (empty query cache) and, for the
// "cold" column, a freshly opened PerfDatabase (tables read and parsed inside the timing).
// Usage: aiconf_bench_search [--perfdb DIR] [--threads N] [--model CONFIG] [--repeat N]
#include <aiconf/estimator.h>
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>
#include <aiconf/search.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace aiconf;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int fail(const Status& s) {
  std::fprintf(stderr, "aiconf_bench_search: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root, model = std::string(AICONF_SOURCE_DIR) + "/examples/configs/DeepSeek-V3.2.json";
  int threads = 1, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--perfdb")) root = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  // Our embedded perfdb first when it has H200 tables, else aiconfigurator's reference tree.
  if (root.empty()) {
    const std::string ours = std::string(AICONF_SOURCE_DIR) + "/perfdb", ref = std::string(AICONF_SHARED_DIR) + "/reference/aiconfigurator";
    root = std::filesystem::exists(ours + "/h200_sxm") ? ours : ref;
  }
  Registry reg;
  LoadOptions lo;
  if (Status s = load_plugins(lo, &reg); !s) return fail(s);
  SystemSpec sys;
  if (Status s = load_system_spec(std::string(AICONF_SOURCE_DIR) + "/perfdb/systems/h200_sxm.json", &sys); !s) return fail(s);
  ModelConfig cfg;
  if (Status s = load_model_config(model, reg, &cfg); !s) return fail(s);

  std::printf("model %s (family %s), perfdb %s, %d thread(s), best of %d\n", model.c_str(), cfg.family.c_str(), root.c_str(), threads,
              repeat);
  std::printf("| GPUs | configs | points | frontier | cold s (db opened inside) | warm-db s (fresh cache) | op queries | cache hits |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int gpus : {8, 16, 32, 64}) {
    SearchOptions opt;
    opt.total_gpus = gpus;
    opt.rt.isl = 4096;
    opt.rt.osl = 1024;
    opt.threads = threads;
    double cold = 1e30, warm = 1e30;
    SearchResult last;
    for (int r = 0; r < repeat; ++r) {
      const double t0 = now_s();
      std::shared_ptr<PerfDatabase> db;
      PerfDatabaseOptions fast;
      fast.max_rows = 0;  // as the CLI's estimator opens it
      if (Status s = open_perf_database(root, "h200_sxm", fast, &db); !s) return fail(s);
      QueryEngine engine(reg, db, sys, QueryMode::hybrid);
      Estimator est(reg, engine, cfg);
      SearchResult res;
      if (Status s = run_search(est, opt, &res); !s) return fail(s);
      cold = std::min(cold, now_s() - t0);
      // Same database (tables parsed), fresh estimator: the search's own cost.
      Estimator est2(reg, engine, cfg);
      const double t1 = now_s();
      if (Status s = run_search(est2, opt, &res); !s) return fail(s);
      warm = std::min(warm, now_s() - t1);
      last = std::move(res);
    }
    std::printf("| %d | %zu | %zu | %zu | %.3f | %.3f | %llu | %llu |\n", gpus, last.parallel_configs, last.evaluated, last.frontier.size(),
                cold, warm, (unsigned long long)last.queries, (unsigned long long)last.cache_hits);
  }
  return 0;
}
