#pragma once
// What every estimator example needs: the plugins, the H200 system spec, a perf database and a
// model config. Perf data: argv[1] when given, else the project's perfdb/ when it has H200 tables,
// else aiconfigurator's reference tree beside the checkout, else none (empirical answers).
#include <aiconf/estimator.h>
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace example {

struct World {
  aiconf::Registry reg;
  aiconf::SystemSpec sys;
  std::shared_ptr<aiconf::PerfDatabase> db;
  std::unique_ptr<aiconf::QueryEngine> engine;
  std::string perfdb;

  explicit World(int argc, char** argv) {
    aiconf::throw_if_error(aiconf::load_plugins(aiconf::LoadOptions{}, &reg));
    aiconf::throw_if_error(aiconf::load_system_spec(std::string(AICONF_SOURCE_DIR) + "/perfdb/systems/h200_sxm.json", &sys));
    const std::string ours = std::string(AICONF_SOURCE_DIR) + "/perfdb", ref = std::string(AICONF_SHARED_DIR) + "/reference/aiconfigurator";
    perfdb = argc > 1 ? argv[1] : std::filesystem::exists(ours + "/h200_sxm") ? ours : std::filesystem::exists(ref) ? ref : "";
    aiconf::PerfDatabaseOptions fast;
    fast.max_rows = 0;  // the examples never list measured rows
    if (!perfdb.empty()) aiconf::throw_if_error(aiconf::open_perf_database(perfdb, "h200_sxm", fast, &db));
    engine = std::make_unique<aiconf::QueryEngine>(reg, db, sys, aiconf::QueryMode::hybrid);
    std::printf("perf data: %s\n", perfdb.empty() ? "none (empirical answers)" : perfdb.c_str());
  }
  aiconf::ModelConfig config(const std::string& name) const {
    aiconf::ModelConfig cfg;
    aiconf::throw_if_error(aiconf::load_model_config(std::string(AICONF_SOURCE_DIR) + "/examples/configs/" + name, reg, &cfg));
    return cfg;
  }
};

inline void print_figures(const char* title, const aiconf::Estimate& e) {
  std::printf("%-8s %-20s TTFT %9.1f ms  TPOT %7.2f ms  %8.1f tok/s/GPU  %6.1f tok/s/user  %6.1f GiB/GPU%s\n", title,
              aiconf::par_name(e.par).c_str(), e.ttft_ms, e.tpot_ms, e.tokens_per_s_per_gpu, e.tokens_per_s_per_user,
              e.memory.total / 1073741824.0, e.fits ? "" : " (does not fit)");
}

}  // namespace example
