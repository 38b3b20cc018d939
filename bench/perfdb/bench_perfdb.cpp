// Perf database benchmarks: load the 126K-row reference moe_perf table, then interpolated GEMM
// queries on one core (random off-grid m, n, k inside the measured range):
//   index   GridIndex::evaluate (numbers only: the interpolation engine)
//   table   PerfDatabase::lookup_table (key parsing + Latency with provenance and rows)
//   op      PerfDatabase::lookup with an operation, mode hybrid
//   engine  QueryEngine::lookup (what an estimator's operations call), mode hybrid
// each with the default 16 "file:line" rows per answer and with max_rows = 0 (no row strings),
// and with a fresh Latency per query (an estimator) or one reused Latency (a loop).
// Usage: aiconf_bench_perfdb [reference_root]   (default ../shared/reference/aiconfigurator)
#include "perfdb/grid_index.h"
#include "perfdb/table_reader.h"

#include <aiconf/perf_database.h>
#include <aiconf/plugin/plugin_base.h>
#include <aiconf/query_engine.h>
#include <aiconf/registry.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

using namespace aiconf;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

class GemmOp final : public OperationBase {
public:
  GemmOp() : OperationBase("gemm", "bench gemm", schema_()) {}

private:
  static TableSchema schema_() {
    TableSchema s;
    s.table = "gemm_perf";
    s.op_names = {"gemm"};
    s.keys = {{"gemm_dtype", ColumnKind::categorical, AxisTransform::linear},
              {"m", ColumnKind::numeric, AxisTransform::log},
              {"n", ColumnKind::numeric, AxisTransform::log},
              {"k", ColumnKind::numeric, AxisTransform::log}};
    return s;
  }
  SolCost cost(const Params& key) const override {
    double m = key.number("m"), n = key.number("n"), k = key.number("k");
    SolCost c;
    c.flops = 2 * m * n * k;
    c.bytes = 2 * (m * k + k * n + m * n);
    return c;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string ref = argc > 1 ? argv[1] : std::string(AICONF_SHARED_DIR) + "/reference/aiconfigurator";
  std::string moe = ref + "/h200_sxm/moe/trtllm/1.3.0rc20/moe_perf.txt.gz";
  if (!std::filesystem::exists(moe)) {
    std::printf("reference tables not found under %s: nothing to benchmark\n", ref.c_str());
    return 0;
  }
  // 1. Load: read + parse (gzip inflate included), best and median of 7.
  std::vector<double> t_load;
  std::size_t rows = 0;
  for (int i = 0; i < 7; ++i) {
    auto t0 = Clock::now();
    perfdb::TableData t;
    Status s = perfdb::read_table(moe, {}, &t);
    if (!s) {
      std::printf("error: %s\n", s.message().c_str());
      return 1;
    }
    t_load.push_back(seconds_since(t0));
    rows = t.rows();
  }
  std::sort(t_load.begin(), t_load.end());
  std::printf("load moe_perf (h200, %zu rows, .txt.gz): median %.3f s, best %.3f s\n", rows, t_load[3], t_load[0]);
  {
    perfdb::TableData t;
    perfdb::read_table(moe, {}, &t);
    TableSchema inferred;
    std::shared_ptr<PerfDatabase> db;
    open_perf_database(ref, "h200_sxm", &db);
    db->infer_schema("moe_perf", &inferred);
    auto t0 = Clock::now();
    perfdb::GridIndex g;
    perfdb::GridIndex::build(t, inferred, false, &g);
    std::printf("index moe_perf (inferred schema, %zu points, %zu groups): %.3f s\n", g.points(), g.groups(),
                seconds_since(t0));
  }

  // 2. Queries.
  std::shared_ptr<PerfDatabase> db;
  if (Status s = open_perf_database(ref, "h200_sxm", &db); !s) {
    std::printf("error: %s\n", s.message().c_str());
    return 1;
  }
  GemmOp op;
  SystemSpec sys;
  sys.name = "h200_sxm";
  sys.bf16_tflops = 989.4;
  sys.fp8_tflops = 1978.9;
  sys.hbm_tbps = 4.8;
  const int N = 1 << 20;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lm(std::log(2.0), std::log(8000.0)), lnk(std::log(64.0), std::log(16000.0));
  std::vector<Params> keys;
  keys.reserve(4096);
  std::vector<std::array<double, 3>> raw;
  for (int i = 0; i < 4096; ++i) {
    double m = std::round(std::exp(lm(rng))) + 0.5, n = std::round(std::exp(lnk(rng))) + 0.5,
           k = std::round(std::exp(lnk(rng))) + 0.5;  // +0.5: never on a measured value
    keys.push_back(Params{{"gemm_dtype", std::string("bfloat16")}, {"m", m}, {"n", n}, {"k", k}});
    raw.push_back(std::array<double, 3>{m, n, k});
  }
  Latency l;
  // Warm up (loads and indexes the table).
  if (Status s = db->lookup(op, keys[0], sys, QueryMode::hybrid, &l); !s) {
    std::printf("error: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("sample: %s -> %.4f ms %s, %zu rows\n", keys[0].str().c_str(), l.ms, to_string(l.provenance), l.rows.size());

  // index: the engine alone.
  {
    perfdb::TableData t;
    perfdb::read_table(ref + "/h200_sxm/gemm/trtllm/1.3.0rc20/gemm_perf.txt.gz", {}, &t);
    perfdb::GridIndex g;
    perfdb::GridIndex::build(t, op.schema(), false, &g);
    std::uint32_t code = static_cast<std::uint32_t>(t.columns[t.column_index("gemm_dtype")].find("bfloat16"));
    int group = g.find_group(&code);
    perfdb::EvalResult r;
    double sum = 0;
    auto t0 = Clock::now();
    for (int i = 0; i < N; ++i) {
      g.evaluate(group, raw[i & 4095].data(), nullptr, -1, &r);
      sum += r.ms;
    }
    double s = seconds_since(t0);
    std::printf("index  (GridIndex::evaluate):          %.2f M queries/s  (%.0f ns each, checksum %.3g)\n", N / s / 1e6,
                s / N * 1e9, sum);
  }
  PerfDatabaseOptions no_rows;
  no_rows.max_rows = 0;
  std::shared_ptr<PerfDatabase> db0;
  if (Status s = open_perf_database(ref, "h200_sxm", no_rows, &db0); !s) {
    std::printf("error: %s\n", s.message().c_str());
    return 1;
  }
  db0->lookup(op, keys[0], sys, QueryMode::hybrid, &l);
  Registry reg;
  QueryEngine engine16(reg, db, sys, QueryMode::hybrid), engine0(reg, db0, sys, QueryMode::hybrid);
  enum Path { table, lookup, engine };
  auto run = [&](Path path, bool rows, bool fresh) {
    const PerfDatabase& d = rows ? *db : *db0;
    const QueryEngine& e = rows ? engine16 : engine0;
    const int n = N / 2;
    double sum = 0;
    Latency reused;
    std::size_t nrows = 0;
    auto one = [&](const Params& key, Latency* out) {
      switch (path) {
        case table: d.lookup_table(op.schema(), key, out); break;
        case lookup: d.lookup(op, key, sys, QueryMode::hybrid, out); break;
        case engine: e.lookup(op, key, out); break;
      }
    };
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      if (fresh) {
        Latency out;
        one(keys[i & 4095], &out);
        sum += out.ms;
        nrows += out.rows.size();
      } else {
        one(keys[i & 4095], &reused);
        sum += reused.ms;
        nrows += reused.rows.size();
      }
    }
    double s = seconds_since(t0);
    static const char* names[] = {"table  (PerfDatabase::lookup_table)", "op     (PerfDatabase::lookup, hybrid)",
                                  "engine (QueryEngine::lookup, hybrid) "};
    std::printf("%s rows %-2s %-7s %.2f M queries/s  (%.0f ns each, %.1f rows/answer, checksum %.4g)\n", names[path],
                rows ? "16" : "0", fresh ? "fresh" : "reused", n / s / 1e6, s / n * 1e9,
                static_cast<double>(nrows) / n, sum);
  };
  for (Path path : {table, lookup, engine})
    for (bool rows : {false, true})
      for (bool fresh : {true, false}) run(path, rows, fresh);
  return 0;
}
