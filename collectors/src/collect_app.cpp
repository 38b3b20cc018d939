#include "collect_app.h"

#include "adaptive.h"
#include "gpu_workers.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <unistd.h>

namespace aiconf::collect {
namespace fs = std::filesystem;

namespace {

int usage_error(const std::string& message) {
  std::cerr << "aiconf-collect: error: " << message << "\n";
  return kExitUsage;
}

SweepOptions sweep_options(const CollectOptions& opt, const ModelConfig* model) {
  SweepOptions s;
  s.quick = opt.quick;
  s.filter = opt.filter_text;
  s.model = model;
  return s;
}

Status make_plans(const Registry& reg, const CollectOptions& opt, const ModelConfig* model, std::vector<TablePlan>* plans) {
  std::vector<const Registered<Collector>*> chosen;
  if (Status s = select_collectors(reg, opt.selection, &chosen); !s) return s;
  for (const auto* c : chosen) {
    TablePlan p;
    if (Status s = plan_table(reg, *c, sweep_options(opt, model), opt.filter, &p); !s) return s;
    plans->push_back(std::move(p));
  }
  if (auto unused = unused_filter_keys(opt.filter, *plans); !unused.empty())
    return Status::error("--filter key '" + unused[0] + "' is not a field of any case of the selected collectors");
  return Status::ok();
}

std::string top_reasons(const std::map<std::string, std::size_t>& reasons) {
  std::vector<std::pair<std::size_t, std::string>> v;
  for (const auto& [r, n] : reasons) v.emplace_back(n, r);
  std::sort(v.rbegin(), v.rend());
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < 3; ++i) s += "\n    " + std::to_string(v[i].first) + "x " + v[i].second;
  if (v.size() > 3) s += "\n    (" + std::to_string(v.size() - 3) + " other reasons in collection_meta.json)";
  return s;
}

void write_worker_report(const std::vector<std::unique_ptr<TableRun>>& runs) {
  const char* path = std::getenv(kWorkerReportEnv);
  if (!path) return;
  std::ofstream out(path, std::ios::trunc);
  for (const auto& r : runs) out << r->plan().table << "\t" << r->table_path() << "\n";
}

// The --gpus parent: plan (to report bad input once), fork the workers, merge their shards.
int run_as_parent(const CollectOptions& opt, const std::vector<TablePlan>& plans) {
  std::vector<std::string> gpus;
  if (Status s = parse_gpu_list(opt.gpus, &gpus); !s) return usage_error(s.message());
  char tmpl[] = "/tmp/aiconf-collect-XXXXXX";
  if (!::mkdtemp(tmpl)) return usage_error("cannot create a temporary folder for the workers' reports");
  const std::string report_dir = tmpl;
  std::cerr << "aiconf-collect: " << gpus.size() << " workers (GPUs " << opt.gpus << "), shard " << opt.run.shard.str()
            << " of the sweep\n";
  std::vector<std::string> failures;
  const bool ok = run_gpu_workers(opt.argv, gpus, opt.run.shard, report_dir, &failures);
  for (const auto& f : failures) std::cerr << "aiconf-collect: error: " << f << "\n";

  // Merge every table a worker reported, when this parent is the whole sweep (no outer shard).
  std::map<std::string, std::string> paths;
  for (std::size_t r = 0; r < gpus.size(); ++r) {
    std::ifstream in(report_dir + "/worker-" + std::to_string(r) + ".txt");
    std::string line;
    while (std::getline(in, line))
      if (auto tab = line.find('\t'); tab != std::string::npos) paths[line.substr(0, tab)] = line.substr(tab + 1);
  }
  std::error_code ec;
  fs::remove_all(report_dir, ec);
  int code = ok ? kExitOk : kExitFailed;
  if (opt.run.shard.sharded()) {
    std::cerr << "aiconf-collect: shard files kept (outer shard " << opt.run.shard.str()
              << "): an unsharded run, or --merge, folds them into the tables\n";
    return code;
  }
  for (const auto& p : plans) {
    auto it = paths.find(p.table);
    if (it == paths.end()) continue;
    std::size_t merged = 0;
    if (Status s = merge_shard_files(it->second, table_header(p), identity_columns(p), &merged); !s) {
      std::cerr << "aiconf-collect: error: " << s.message() << "\n";
      code = kExitFailed;
      continue;
    }
    std::cerr << "aiconf-collect: " << p.table << ": merged " << merged << " rows from the workers' shard files into "
              << it->second << "\n";
  }
  return code;
}

std::string progress_prefix(const CollectOptions& opt) {
  return opt.worker_label.empty() ? "aiconf-collect: " : "aiconf-collect [" + opt.worker_label + "]: ";
}

}  // namespace

int list_collectors(const Registry& reg, const CollectOptions& opt, const ModelConfig* model) {
  if (reg.collectors.empty()) {
    std::cout << "no collectors: no loaded plugin registers one\n";
    return kExitOk;
  }
  std::cout << "collector  plugin  table  mock-layer  cases" << (opt.quick ? " (--quick)" : "") << "\n";
  for (const auto& [name, c] : reg.collectors) {
    std::string table = "?";
    if (auto it = reg.operations.find(c.object->op_name()); it != reg.operations.end()) table = it->second.object->schema().table;
    const bool has_layer = reg.mock_layers.count(c.object->mock_layer()) != 0;
    std::vector<Params> cases;
    std::string count;
    if (Status s = c.object->cases(sweep_options(opt, model), &cases); s) count = std::to_string(cases.size());
    else count = "? (" + s.message() + ")";
    std::cout << name << "  " << c.plugin << "  " << table << "  " << c.object->mock_layer()
              << (has_layer ? "" : " [no mock layer in this build]") << "  " << count << "\n";
  }
  return kExitOk;
}

int run_collection(const Registry& reg, const CollectOptions& opt, const ModelConfig* model) {
  std::vector<TablePlan> plans;
  if (Status s = make_plans(reg, opt, model, &plans); !s) return usage_error(s.message());
  if (!opt.gpus.empty()) return run_as_parent(opt, plans);

  RunOptions run_opt = opt.run;
  if (opt.merge_only) run_opt.resume = true;  // merging never measures: existing rows are the point
  Progress progress(opt.worker_label.empty() ? "" : "[" + opt.worker_label + "] ");
  Budget budget(run_opt);
  Backends backends(run_opt.device_ordinal);

  std::vector<std::unique_ptr<TableRun>> runs;
  for (const auto& p : plans) {
    if (!p.factory && opt.selection.collectors.empty() && opt.selection.tables.empty()) {
      progress.note("skip table " + p.table + ": mock layer '" + p.mock_layer + "' is not registered in this build");
      continue;
    }
    auto r = std::make_unique<TableRun>(p, run_opt, backends, progress, budget);
    if (Status s = r->prepare(); !s) return usage_error(s.message());
    runs.push_back(std::move(r));
  }
  write_worker_report(runs);
  if (opt.merge_only) {
    for (const auto& r : runs) std::cerr << "aiconf-collect: " << r->table_path() << ": " << r->rows_on_disk() << " rows\n";
    return kExitOk;
  }
  for (auto& r : runs)
    if (Status s = r->open(); !s) {
      std::cerr << "aiconf-collect: error: " << s.message() << "\n";
      return kExitFailed;
    }

  int code = kExitOk;
  for (auto& r : runs) {
    TableRun::Outcome outcome;
    std::string adaptive_summary;
    if (opt.adaptive > 0) {
      r->record().mode = "adaptive";
      ScoringSol sol;
      if (Status s = scoring_sol(reg, r->plan(), r->directory(), model, &sol); !s) return usage_error(s.message());
      progress.note("adaptive: " + sol.note);
      outcome = run_adaptive(*r, AdaptiveOptions{opt.adaptive, opt.adaptive_target, &sol}, progress, &adaptive_summary);
    } else {
      r->record().cases_planned = r->shard_indices().size();
      outcome = r->measure(r->shard_indices());
    }
    TableRunRecord& rec = r->record();
    rec.rows_in_table = r->rows_on_disk();
    RunRecord meta{opt.command_line(), run_opt.shard.str(), r->backend().device(), l2_flush_name(run_opt.timing.flush), {rec}};
    if (Status s = update_collection_meta(r->directory(), meta); !s) {
      std::cerr << "aiconf-collect: error: " << s.message() << "\n";
      code = kExitFailed;
    }
    char gpu_min[32];
    std::snprintf(gpu_min, sizeof gpu_min, "%.2f", rec.gpu_seconds / 60.0);
    std::cerr << progress_prefix(opt) << rec.table << ": " << rec.measured << " measured, " << rec.skipped << " skipped, "
              << rec.already_present << " already present, " << rec.throttled << " throttled; " << gpu_min
              << " GPU-minutes; " << rec.rows_in_table << " rows in " << r->table_path()
              << (run_opt.shard.sharded() ? " (+ shard files)" : "") << top_reasons(rec.skip_reasons) << "\n";
    if (!adaptive_summary.empty()) std::cerr << progress_prefix(opt) << adaptive_summary << "\n";
    if (outcome == TableRun::Outcome::device_lost) {
      std::cerr << "aiconf-collect: error: " << r->failure() << "; fix the layer or skip the case with --filter, then rerun with --resume\n";
      return kExitDeviceLost;
    }
    if (outcome == TableRun::Outcome::write_failed) {
      std::cerr << "aiconf-collect: error: " << r->failure() << "\n";
      return kExitFailed;
    }
    if (outcome == TableRun::Outcome::budget) {
      std::cerr << "aiconf-collect: stopped: " << budget.reason() << "; rerun with --resume to continue\n";
      break;
    }
  }
  return code;
}

}  // namespace aiconf::collect
