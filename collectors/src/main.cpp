// `aiconf-collect`: times the plugins' mock layers over their collectors' sweeps and writes perf
// tables in aiconfigurator's layout. See collectors/README.md.
#include "collect_app.h"
#include "collect_options.h"

#include <aiconf/hf_config.h>
#include <aiconf/version.h>

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace aiconf::collect;
using aiconf::Status;

int fail(const std::string& message) {
  std::cerr << "aiconf-collect: error: " << message << "\n";
  return kExitUsage;
}

}  // namespace

namespace aiconf::collect {
std::string CollectOptions::command_line() const {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a.find_first_of(" \t\"'") == std::string::npos ? a : "'" + a + "'";
  }
  return s;
}
}  // namespace aiconf::collect

int main(int argc, char** argv) {
  CollectOptions opt;
  opt.argv.assign(argv, argv + argc);
  CLI::App app{"aiconf-collect " AICONF_VERSION_STRING ": time the plugins' mock layers and write perf tables"};
  app.set_version_flag("--version", AICONF_VERSION_STRING);
  bool no_default_plugins = false;
  TimingOptions& t = opt.run.timing;

  app.add_option("--collector", opt.selection.collectors, "Collectors to run (comma-separated, repeatable)")->delimiter(',')->type_name("NAME");
  app.add_option("--plugin", opt.selection.plugins, "Run every collector of these plugins")->delimiter(',')->type_name("PLUGIN");
  app.add_option("--table", opt.selection.tables, "Run the collectors writing these tables")->delimiter(',')->type_name("TABLE");
  app.add_option("--model", opt.model_path, "Model config.json whose dimensions the sweeps use")->type_name("FILE");
  app.add_option("--system-name", opt.run.system_name, "perfdb system folder (default: from the GPU name, e.g. h200_sxm)");
  app.add_option("--out", opt.run.out_root, "perfdb root: tables go to <out>/<system>/aiconf/<version>/<table>.txt")->capture_default_str();
  app.add_flag("--quick", opt.quick, "The collectors' small smoke sweeps");
  app.add_option("--filter", opt.filter_text, "Only cases with these values: k=v[|v2][,k2=v3...]");
  app.add_flag("--resume", opt.run.resume, "Skip cases whose key columns already have a row");
  app.add_option("--shard", opt.shard_text, "Take every n-th case starting at i (i/n); default from Slurm/MPI rank variables");
  app.add_option("--gpus", opt.gpus, "One worker process per GPU (e.g. 0,1,2,3), each a shard");
  app.add_option("--device", opt.run.device_ordinal, "CUDA device among the visible ones (default 0, or the launcher's local rank)");
  app.add_flag("--list", opt.list, "List collectors (and their case counts) and exit");
  app.add_flag("--merge", opt.merge_only, "Merge the selected tables' shard files into the tables and exit");
  app.add_option("--max-cases", opt.run.max_cases, "Stop after this many cases (resume later)");
  app.add_option("--time-budget-s", opt.run.time_budget_s, "Start no case after this many seconds (resume later)");
  app.add_option("--adaptive", opt.adaptive, "Coarse pass, then add up to N cases per round where leave-one-out error is highest");
  app.add_option("--adaptive-target", opt.adaptive_target, "Adaptive mode stops when the worst leave-one-out error is below this fraction")->capture_default_str();
  app.add_option("--max-spread", t.sampling.max_spread, "Stop sampling when (p75-p25)/median is below this")->capture_default_str();
  app.add_option("--min-samples", t.sampling.min_samples, "Samples at least")->capture_default_str();
  app.add_option("--max-samples", t.sampling.max_samples, "Samples at most")->capture_default_str();
  app.add_option("--case-time-s", t.sampling.max_case_seconds, "Sampling time cap per case (s)")->capture_default_str();
  app.add_option("--warmup", t.sampling.warmup, "Untimed runs before sampling")->capture_default_str();
  app.add_flag("--eager", t.force_eager, "Never capture CUDA graphs");
  bool no_flush = false;
  std::string flush = "read";
  app.add_option("--flush", flush, "L2 flush before each sample: read (a kernel reads a 2x-L2 buffer; leaves no dirty lines), memset, none")
      ->capture_default_str()
      ->check(CLI::IsMember({"read", "memset", "none"}));
  app.add_flag("--no-flush", no_flush, "Same as --flush none");
  app.add_option("--plugin-dir", opt.load.plugin_dirs, "Plugin directory searched first (repeatable)")->type_name("DIR");
  app.add_flag("--strict", opt.load.strict, "Fail on the first plugin that cannot be loaded");
  app.add_flag("--no-default-plugins", no_default_plugins, "Do not search the default plugin directory next to libaiconf");
  app.add_option("--worker-label", opt.worker_label, "(internal) set by --gpus for its workers")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  opt.load.use_default_dir = !no_default_plugins;
  t.flush = no_flush || flush == "none" ? L2Flush::none : flush == "memset" ? L2Flush::memset : L2Flush::read;

  if (Status s = CaseFilter::parse(opt.filter_text, &opt.filter); !s) return fail(s.message());
  if (!opt.shard_text.empty()) {
    if (Status s = parse_shard(opt.shard_text, &opt.run.shard); !s) return fail(s.message());
  } else if (Status s = shard_from_environment(&opt.run.shard); !s) {
    return fail(s.message());
  }
  if (t.sampling.min_samples < 1 || t.sampling.max_samples < t.sampling.min_samples)
    return fail("--min-samples/--max-samples: expected 1 <= min <= max, got " + std::to_string(t.sampling.min_samples) + " and " +
                std::to_string(t.sampling.max_samples));
  if (!(t.sampling.max_spread > 0)) return fail("--max-spread: expected a fraction > 0 (e.g. 0.02)");
  if (opt.adaptive < 0) return fail("--adaptive: expected a positive number of cases per round");
  if (opt.adaptive > 0 && (opt.run.shard.sharded() || !opt.gpus.empty()))
    return fail("--adaptive cannot be combined with --shard, --gpus or a Slurm/MPI rank: it chooses cases from the whole table");
  if (!opt.list && opt.selection.empty())
    return fail("nothing to collect: pass --collector NAME, --plugin PLUGIN or --table TABLE (see --list)");

  aiconf::Registry registry;
  try {
    if (Status s = aiconf::load_plugins(opt.load, &registry); !s) return fail(s.message());
  } catch (const std::exception& e) {
    return fail(std::string("loading plugins: ") + e.what());
  }
  for (const auto& s : registry.skipped) std::cerr << "aiconf-collect: skipped plugin " << s.reason << "\n";

  aiconf::ModelConfig model;
  const aiconf::ModelConfig* model_ptr = nullptr;
  if (!opt.model_path.empty()) {
    if (Status s = aiconf::load_model_config(opt.model_path, registry, &model); !s) return fail(s.message());
    model_ptr = &model;
  }
  try {
    if (opt.list) return list_collectors(registry, opt, model_ptr);
    return run_collection(registry, opt, model_ptr);
  } catch (const std::exception& e) {
    std::cerr << "aiconf-collect: error: " << e.what() << "\n";
    return kExitFailed;
  }
}
