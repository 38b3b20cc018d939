// `aiconf-collect-nccl`: the comm plugin's tables (nccl_perf, p2p_perf, custom_allreduce_perf)
// measured on several GPUs of this host from one process and one thread (ncclCommInitAll). The
// cases are the comm collectors' own sweeps (loaded from the plugin), for each GPU count asked;
// rows go through the harness's table writer, in the same layout and folder as aiconf-collect's.
// Every (operation, dtype, GPU count) is first checked against a CPU reference; a mismatch skips
// its timing and makes the exit status 2. See collectors/nccl/README.md.
#include "comm_check.h"
#include "group_timer.h"
#include "nccl_group.h"
#include "custom_allreduce.h"

#include <case_plan.h>
#include <collection_meta.h>
#include <csv_line.h>
#include <table_file.h>
#include <table_run.h>

#include <aiconf/loader.h>
#include <aiconf/version.h>
#include <aiconf_plugins/cuda_check.h>

#include <CLI/CLI.hpp>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

using namespace aiconf;
using namespace aiconf::nccl_collect;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::vector<int> gpus{2, 4};
  std::vector<std::string> collectors{"all_reduce", "all_gather", "reduce_scatter", "alltoall", "p2p", "custom_all_reduce"};
  std::string out_root = "perfdb", system_name, filter_text;
  std::vector<std::string> plugin_dirs;
  bool quick = false, resume = false, eager = false, check_only = false, list = false;
  double time_budget_s = 0, target_sample_ms = 1.0;
  collect::SamplingOptions sampling;
  std::vector<std::string> argv;
};

// One case to measure: a row of one table.
struct Case {
  const collect::TablePlan* plan = nullptr;
  CommOp op{};
  std::string dtype;
  int gpus = 0;
  std::int64_t size = 0;
  std::vector<std::string> keys;  // the plan's key columns, num_gpus rewritten
};

// An open table of this run.
struct Table {
  std::vector<std::string> header, identity;
  std::unique_ptr<collect::TableAppender> appender;
  std::set<std::string> present;
  collect::TableRunRecord record;
};

std::string format_g(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::size_t column_index(const collect::TablePlan& p, const char* name) {
  for (std::size_t i = 0; i < p.key_columns.size(); ++i)
    if (p.key_columns[i].name == name) return i;
  throw Error("table " + p.table + " has no key column '" + name + "'");
}

// The plan's cases for each GPU count asked: those of the sweep with that count, else (a count
// the sweep lacks, collectives only) the cases of the sweep's largest count with it substituted.
std::vector<Case> expand_cases(const collect::TablePlan& p, const std::vector<int>& gpus) {
  const CommOp op = comm_op_from_name(p.collector);
  const std::size_t gi = column_index(p, "num_gpus"), si = column_index(p, "message_size");
  const std::size_t di = p.key_columns[0].name == "num_gpus" ? 1 : 0;  // the dtype column leads
  std::int64_t largest = 0;
  for (const auto& c : p.cases) largest = std::max(largest, c.integer("num_gpus"));
  std::vector<Case> out;
  for (int g : gpus) {
    bool any = false;
    for (const auto& c : p.cases) any = any || c.integer("num_gpus") == g;
    if (!any && op == CommOp::p2p) continue;  // p2p is one pair: the sweep's count only
    const std::int64_t source = any ? g : largest;
    for (std::size_t i = 0; i < p.cases.size(); ++i) {
      if (p.cases[i].integer("num_gpus") != source) continue;
      const std::int64_t size = std::stoll(p.keys[i][si]);
      try {
        case_counts(op, size, g);
      } catch (const Error&) {
        continue;  // does not split over g GPUs (e.g. 3): not measurable in nccl-tests' convention
      }
      Case k;
      k.plan = &p;
      k.op = op;
      k.dtype = p.keys[i][di];
      k.gpus = g;
      k.size = size;
      k.keys = p.keys[i];
      k.keys[gi] = std::to_string(g);
      out.push_back(std::move(k));
    }
  }
  return out;
}

collect::DeviceInfo device_info(int ordinal) {
  collect::DeviceInfo d;
  cudaDeviceProp prop{};
  AICONF_CUDA_CHECK(cudaGetDeviceProperties(&prop, ordinal));
  d.name = prop.name;
  d.memory_bytes = static_cast<long long>(prop.totalGlobalMem);
  d.l2_bytes = prop.l2CacheSize;
  d.sm_count = prop.multiProcessorCount;
  int v = 0;
  cudaRuntimeGetVersion(&v);
  d.cuda_runtime_version = std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
  cudaDriverGetVersion(&v);
  d.cuda_driver_version = std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
  d.driver_version = "cuda " + d.cuda_driver_version;
  char bus[32] = {};
  cudaDeviceGetPCIBusId(bus, sizeof bus, ordinal);
  d.pci_bus_id = bus;
  d.clock_source = "none (aiconf-collect-nccl reads no clocks): throttling is not detected";
  return d;
}

int run(const Options& opt) {
  // NVLink multicast (NVLS) stays off: on shared hosts it can take the GPUs out of service.
  ::setenv("NCCL_NVLS_ENABLE", "0", 1);
  Registry reg;
  LoadOptions lo;
  lo.plugin_dirs = opt.plugin_dirs;
  if (Status s = load_plugins(lo, &reg); !s) throw Error(s.message());
  collect::CaseFilter filter;
  if (Status s = collect::CaseFilter::parse(opt.filter_text, &filter); !s) throw Error(s.message());
  SweepOptions sweep;
  sweep.quick = opt.quick;
  std::vector<collect::TablePlan> plans;
  plans.reserve(opt.collectors.size());
  for (const auto& name : opt.collectors) {
    auto it = reg.collectors.find(name);
    if (it == reg.collectors.end())
      throw Error("collector '" + name + "' is not registered (is the comm plugin built? searched: " +
                  (opt.plugin_dirs.empty() ? default_plugin_dir() : opt.plugin_dirs[0]) + ")");
    collect::TablePlan p;
    if (Status s = collect::plan_table(reg, it->second, sweep, filter, &p); !s) throw Error(s.message());
    plans.push_back(std::move(p));
  }
  std::vector<Case> cases;
  for (const auto& p : plans)
    for (auto& c : expand_cases(p, opt.gpus)) cases.push_back(std::move(c));
  if (cases.empty()) throw Error("no case to measure (check --gpus and --filter)");
  if (opt.list) {
    std::map<std::string, std::size_t> counts;
    for (const auto& c : cases) ++counts[c.plan->table + " " + comm_op_name(c.op) + " " + c.dtype + " gpus=" + std::to_string(c.gpus)];
    for (const auto& [what, n] : counts) std::cout << what << ": " << n << " cases\n";
    std::cout << cases.size() << " cases\n";
    return 0;
  }

  collect::RunRecord run;
  for (const auto& a : opt.argv) run.command_line += (run.command_line.empty() ? "" : " ") + a;
  run.shard = "0/1";
  run.device = device_info(0);
  const std::string system = opt.system_name.empty() ? collect::system_name_for_device(run.device.name) : opt.system_name;
  const std::string dir = collect::table_directory(opt.out_root, system);
  const std::string nccl = nccl_version_text();
  std::cout << "device: " << run.device.name << " (system " << system << "), " << nccl << ", NCCL_NVLS_ENABLE="
            << std::getenv("NCCL_NVLS_ENABLE") << "\ntables: " << dir << "\n";

  std::map<std::string, Table> tables;
  if (!opt.check_only) {
    for (const auto& p : plans) {
      Table& t = tables[p.table];
      if (t.appender) {  // one table, several collectors (nccl_perf)
        t.record.collector += "," + p.collector;
        continue;
      }
      t.header = collect::table_header(p);
      t.identity = collect::identity_columns(p);
      t.record.table = p.table;
      t.record.collector = p.collector;
      const std::string path = (fs::path(dir) / (p.table + ".txt")).string();
      std::size_t rows = 0;
      if (Status s = collect::read_table_keys(path, t.identity, &t.present, &rows); !s) throw Error(s.message());
      if (rows && !opt.resume)
        throw Error(path + " already holds " + std::to_string(rows) + " rows: pass --resume to measure only the missing cases");
      if (Status s = collect::TableAppender::open(path, t.header, &t.appender); !s) throw Error(s.message());
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  int failed_checks = 0;
  bool budget_hit = false;
  std::size_t measured = 0;
  std::vector<int> counts = opt.gpus;
  int visible = 0;
  AICONF_CUDA_CHECK(cudaGetDeviceCount(&visible));
  for (int g : counts)
    if (g > visible) std::cout << "skip num_gpus=" << g << ": only " << visible << " GPUs visible\n";
  counts.erase(std::remove_if(counts.begin(), counts.end(), [&](int g) { return g < 1 || g > visible; }), counts.end());
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  for (int g : counts) {
    std::vector<const Case*> mine;
    std::size_t bytes = 0;
    for (const auto& c : cases)
      if (c.gpus == g) {
        mine.push_back(&c);
        const CaseCounts cc = case_counts(c.op, c.size, g);
        bytes = std::max(bytes, std::max(cc.send, cc.recv) * nccl_dtype_bytes(nccl_dtype_from_name(c.dtype)));
      }
    if (mine.empty()) continue;
    std::cout << "== " << g << " GPUs: " << mine.size() << " cases, " << bytes << " B per buffer\n" << std::flush;
    NcclGroup group(g, bytes);
    std::unique_ptr<CustomAllReduce> custom;
    // The implementations of a case: NCCL's call, or each custom all-reduce variant taking the size.
    struct Impl {
      std::string source;
      std::function<void()> enqueue;
    };
    auto impls = [&](const Case& c) {
      const ncclDataType_t dt = nccl_dtype_from_name(c.dtype);
      std::vector<Impl> out;
      if (c.op != CommOp::custom_all_reduce) {
        out.push_back({"nccl_" + nccl.substr(5), [&group, op = c.op, dt, n = c.size] { group.enqueue(op, dt, n); }});
        return out;
      }
      if (!custom) custom = std::make_unique<CustomAllReduce>(group, bytes);
      for (CustomVariant v : {CustomVariant::one_shot, CustomVariant::two_shot})
        if (custom->supports(dt, static_cast<std::size_t>(c.size), v))
          out.push_back({CustomAllReduce::kernel_source(v),
                         [&custom, dt, v, n = static_cast<std::size_t>(c.size)] { custom->enqueue(dt, n, v); }});
      if (out.empty()) throw Error("custom all-reduce: no variant takes " + std::to_string(c.size) + " elements of " + c.dtype);
      return out;
    };
    // Checks: per (operation, dtype), the smallest case and one of about 1M elements, every
    // implementation.
    std::set<std::string> bad;
    std::map<std::string, std::vector<const Case*>> by_kind;
    for (const Case* c : mine) by_kind[std::string(comm_op_name(c->op)) + "/" + c->dtype].push_back(c);
    for (auto& [kind, list] : by_kind) {
      const Case* small = list.front();
      const Case* mid = list.front();
      for (const Case* c : list) {
        if (c->size < small->size) small = c;
        if (std::abs(std::log2(double(c->size)) - 20) < std::abs(std::log2(double(mid->size)) - 20)) mid = c;
      }
      for (const Case* c : {small, mid}) {
        std::vector<Impl> list_impls;
        try {
          list_impls = impls(*c);
        } catch (const Error& e) {
          std::cout << "check FAIL " << c->dtype << " " << comm_op_name(c->op) << " " << c->size << ": " << e.what() << "\n";
          ++failed_checks;
          bad.insert(kind);
          continue;
        }
        for (const Impl& im : list_impls) {
          CommCheck r;
          try {
            r = check_collective(group, c->op, nccl_dtype_from_name(c->dtype), c->size, im.enqueue, 7 + c->size);
          } catch (const Error& e) {
            r.passed = false;
            r.details = std::string(comm_op_name(c->op)) + " " + std::to_string(c->size) + ": " + e.what();
          }
          std::cout << (r.passed ? "check ok   " : "check FAIL ") << im.source << " " << c->dtype << " " << r.details << "\n"
                    << std::flush;
          if (!r.passed) {
            ++failed_checks;
            bad.insert(kind);
          }
        }
      }
    }
    if (opt.check_only) continue;
    for (const Case* c : mine) {
      const collect::TablePlan& p = *c->plan;
      Table& t = tables.at(p.table);
      std::vector<std::string> id{p.op_name};
      id.insert(id.end(), c->keys.begin(), c->keys.end());
      const std::string key = collect::join_key(id);
      if (t.present.count(key)) {
        ++t.record.already_present;
        continue;
      }
      ++t.record.cases_planned;
      const std::string kind = std::string(comm_op_name(c->op)) + "/" + c->dtype;
      if (bad.count(kind)) {
        ++t.record.skipped;
        ++t.record.skip_reasons["failed its CPU-reference check"];
        continue;
      }
      if (opt.time_budget_s > 0 && elapsed() >= opt.time_budget_s) {
        budget_hit = true;
        break;
      }
      const std::string label = p.table + " " + p.op_name + " " + c->dtype + " gpus=" + std::to_string(g) + " size=" + std::to_string(c->size);
      const auto c0 = std::chrono::steady_clock::now();
      nvtxRangePushA(label.c_str());
      // Every implementation of the case is timed; the row holds the fastest (the custom
      // all-reduce picks one-shot or two-shot by size, as TensorRT-LLM's does).
      GroupTiming timing;
      std::string source, error;
      try {
        for (const Impl& im : impls(*c)) {
          const GroupTiming t1 = time_on_group(group, im.enqueue, c->op == CommOp::p2p ? 2 : g, opt.sampling, !opt.eager,
                                               opt.target_sample_ms);
          if (source.empty() || t1.latency_ms < timing.latency_ms) timing = t1, source = im.source;
        }
      } catch (const Error& e) {
        error = e.what();
      }
      nvtxRangePop();
      t.record.gpu_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
      if (!error.empty() || !(timing.latency_ms > 0)) {
        ++t.record.skipped;
        ++t.record.skip_reasons[error.empty() ? "non-positive latency" : error];
        // A failed NCCL or CUDA call leaves the communicators unusable: stop rather than skip on.
        throw Error(label + ": " + (error.empty() ? "non-positive latency" : error));
      }
      std::vector<std::string> row{"aiconf", AICONF_VERSION_STRING, run.device.name, p.op_name, source};
      row.insert(row.end(), c->keys.begin(), c->keys.end());
      row.push_back(format_g(timing.latency_ms, 6));
      row.push_back(timing.graph ? "graph" : "eager");
      row.push_back(std::to_string(timing.samples));
      row.push_back(format_g(timing.spread, 3));
      row.push_back("0");
      if (Status s = t.appender->append(row); !s) throw Error(s.message());
      t.present.insert(key);
      ++t.record.measured;
      ++measured;
      const double bytes_moved = double(c->size) * nccl_dtype_bytes(nccl_dtype_from_name(c->dtype));
      std::printf("%-22s %-17s %-8s gpus=%d size=%-10lld %10.4f ms  algbw %7.1f GB/s  x%d %s spread %.3f %s\n", p.table.c_str(),
                  comm_op_name(c->op), c->dtype.c_str(), g, static_cast<long long>(c->size), timing.latency_ms,
                  bytes_moved / (timing.latency_ms * 1e6), timing.repeats, timing.graph ? "graph" : "eager", timing.spread,
                  source.c_str());
      std::fflush(stdout);
    }
    if (budget_hit) break;
  }
  if (!opt.check_only) {
    for (auto& [name, t] : tables) {
      std::size_t rows = 0;
      std::set<std::string> keys;
      collect::read_table_keys(t.appender->path(), t.identity, &keys, &rows);
      t.record.rows_in_table = rows;
      run.tables.push_back(t.record);
    }
    if (Status s = collect::update_collection_meta(dir, run); !s) std::cerr << "warning: " << s.message() << "\n";
  }
  std::cout << measured << " cases measured in " << format_g(elapsed(), 4) << " s" << (budget_hit ? " (time budget reached)" : "")
            << ", " << failed_checks << " failed checks\n";
  return failed_checks ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  opt.argv.assign(argv, argv + argc);
  opt.sampling.warmup = 3;
  opt.sampling.min_samples = 5;
  opt.sampling.max_samples = 15;
  opt.sampling.max_case_seconds = 0.5;
  CLI::App app{"aiconf-collect-nccl " AICONF_VERSION_STRING ": NCCL and custom all-reduce tables on several GPUs of this host"};
  app.add_option("--gpus", opt.gpus, "GPU counts (devices 0..n-1)")->delimiter(',')->capture_default_str();
  app.add_option("--collector", opt.collectors, "Comm collectors to run")->delimiter(',')->capture_default_str();
  app.add_option("--out", opt.out_root, "perfdb root: <out>/<system>/aiconf/<version>/<table>.txt")->capture_default_str();
  app.add_option("--system-name", opt.system_name, "perfdb system folder (default: from the GPU name)");
  app.add_option("--filter", opt.filter_text, "Only cases with these values: k=v[|v2][,k2=v3...]");
  app.add_option("--plugin-dir", opt.plugin_dirs, "Plugin directory searched first");
  app.add_flag("--quick", opt.quick, "The collectors' small smoke sweeps");
  app.add_flag("--resume", opt.resume, "Skip cases already in the tables");
  app.add_flag("--eager", opt.eager, "Never capture CUDA graphs");
  app.add_flag("--check-only", opt.check_only, "Only the CPU-reference checks");
  app.add_flag("--list", opt.list, "List the cases per table, operation, dtype and GPU count, and exit");
  app.add_option("--time-budget-s", opt.time_budget_s, "Start no case after this many seconds")->capture_default_str();
  app.add_option("--target-sample-ms", opt.target_sample_ms, "Calls per sample chosen to last about this long")->capture_default_str();
  app.add_option("--warmup", opt.sampling.warmup, "Untimed calls before sampling")->capture_default_str();
  app.add_option("--min-samples", opt.sampling.min_samples, "Samples at least")->capture_default_str();
  app.add_option("--max-samples", opt.sampling.max_samples, "Samples at most")->capture_default_str();
  app.add_option("--max-spread", opt.sampling.max_spread, "Stop when (p75-p25)/median is below this")->capture_default_str();
  app.add_option("--case-time-s", opt.sampling.max_case_seconds, "Sampling time cap per case (s)")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;
  }
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "aiconf-collect-nccl: error: " << e.what() << "\n";
    return 1;
  }
}
