// `aiconf-profile`: a mock layer (or several, one after the other) under CUPTI, as a kernel table;
// and `--diff A.csv B.csv` between two kernel tables. See tools/profile/README.md.
#include "cupti_tracer.h"
#include "kernel_diff.h"
#include "kernel_report.h"
#include "layer_spec.h"
#include "profile_run.h"

#include <aiconf/hf_config.h>
#include <aiconf/loader.h>
#include <aiconf/version.h>

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

namespace {

using namespace aiconf;
using namespace aiconf::profile;

struct Options {
  std::vector<std::string> words;
  std::vector<std::string> diff;
  std::vector<std::string> maps;
  std::string map_file, model, out_csv;
  int quick_case = -1;
  bool json = false, csv = false, list = false;
  ProfileOptions run;
  LoadOptions load;
  bool no_default_plugins = false;
};

int fail(const std::string& msg, int code = 1) {
  std::cerr << "aiconf-profile: error: " << msg << "\n";
  return code;
}

// Fills a layer's shape from its collector's quick sweep (case `index`, -1 = the middle one),
// keeping every key the user gave.
Status shape_from_collector(const Registry& reg, const ModelConfig& cfg, int index, LayerSpec* spec) {
  for (const auto& [name, c] : reg.collectors) {
    if (spec->name != c.object->mock_layer()) continue;
    SweepOptions sweep;
    sweep.quick = true;
    sweep.model = &cfg;
    std::vector<Params> cases;
    if (Status s = c.object->cases(sweep, &cases); !s) return Status::error("collector " + name + ": " + s.message());
    if (cases.empty()) return Status::error("collector " + name + " has no quick case");
    const std::size_t i = index < 0 ? cases.size() / 2 : std::size_t(index);
    if (i >= cases.size())
      return Status::error("--quick-case " + std::to_string(index) + ": collector " + name + " has " + std::to_string(cases.size()) +
                           " quick cases");
    Params shape = cases[i];
    for (const auto& [k, v] : spec->shape.items()) shape.set(k, v);
    spec->shape = std::move(shape);
    return Status::ok();
  }
  return Status::error("--quick-case: no collector times mock layer '" + spec->name + "'");
}

int run_diff(const Options& o) {
  if (o.diff.size() != 2) return fail("--diff takes two kernel tables: --diff A.csv B.csv", 2);
  KernelTable a, b;
  if (Status s = read_csv_file(o.diff[0], &a); !s) return fail(s.message());
  if (Status s = read_csv_file(o.diff[1], &b); !s) return fail(s.message());
  std::vector<NameRule> rules;
  if (!o.map_file.empty())
    if (Status s = read_name_rules(o.map_file, &rules); !s) return fail(s.message(), 2);
  for (const auto& m : o.maps) {
    NameRule r;
    if (Status s = parse_name_rule(m, &r); !s) return fail(s.message(), 2);
    rules.push_back(std::move(r));
  }
  const KernelDiff d = diff_tables(a, b, rules);
  const std::string la = o.diff[0] + " (" + (a.format.empty() ? "csv" : a.format) + ")";
  const std::string lb = o.diff[1] + " (" + (b.format.empty() ? "csv" : b.format) + ")";
  if (o.json) print_diff_json(std::cout, d, la, lb);
  else if (o.csv) print_diff_csv(std::cout, d);
  else print_diff_text(std::cout, d, la, lb);
  return 0;
}

int run_profile(Options& o) {
  Registry reg;
  o.load.use_default_dir = !o.no_default_plugins;
  if (Status s = load_plugins(o.load, &reg); !s) return fail(s.message());
  for (const auto& sk : reg.skipped) std::cerr << "aiconf-profile: skipped plugin " << sk.reason << "\n";
  if (o.list) {
    for (const auto& [name, f] : reg.mock_layers)
      std::cout << name << "  (op " << f.object->op_name() << ", plugin " << f.plugin << "): " << f.object->description() << "\n";
    if (reg.mock_layers.empty()) std::cout << "no mock layers registered (plugins built without CUDA?)\n";
    return 0;
  }
  std::vector<LayerSpec> specs;
  if (Status s = parse_layer_specs(o.words, &specs); !s) return fail(s.message(), 2);
  if (!o.model.empty()) {
    ModelConfig cfg;
    if (Status s = load_model_config(o.model, reg, &cfg); !s) return fail(s.message());
    for (auto& spec : specs)
      if (Status s = shape_from_collector(reg, cfg, o.quick_case, &spec); !s) return fail(s.message(), 2);
  }
  const std::string nvtx = prepare_nvtx_injection();
  ProfileResult res;
  if (Status s = profile_layers(reg, specs, o.run, nvtx, &res); !s) return fail(s.message(), 3);
  res.table.source += " on " + res.device;
  if (!o.out_csv.empty()) {
    std::ofstream f(o.out_csv);
    if (!f) return fail(o.out_csv + ": cannot open for writing");
    write_csv(f, res.table);
  }
  bool checks_ok = true;
  for (const auto& l : res.layers) checks_ok = checks_ok && (!l.checked || l.report.passed);
  if (o.csv) {
    write_csv(std::cout, res.table);
  } else if (o.json) {
    std::cout << "{\n\"device\": " << json_string(res.device) << ",\n\"range_method\": " << json_string(res.range_method)
              << ",\n\"dropped_records\": " << res.dropped << ",\n\"layers\": [";
    for (std::size_t i = 0; i < res.layers.size(); ++i) {
      const auto& l = res.layers[i];
      std::cout << (i ? "," : "") << "\n  {\"name\": " << json_string(l.name) << ", \"shape\": " << json_string(l.shape)
                << ", \"kernel_source\": " << json_string(l.kernel_source);
      if (l.checked)
        std::cout << ", \"check\": {\"passed\": " << (l.report.passed ? "true" : "false") << ", \"max_rel_error\": " << l.report.max_rel_error
                  << ", \"details\": " << json_string(l.report.details) << "}";
      std::cout << "}";
    }
    std::cout << "\n],\n\"table\": ";
    print_table_json(std::cout, res.table);
    std::cout << "}\n";
  } else {
    std::cout << "device: " << res.device << "\nrange: " << res.range_method << " (" << res.nvtx_note << ")\n";
    if (res.dropped) std::cout << "warning: CUPTI dropped " << res.dropped << " records\n";
    print_table_text(std::cout, res.table);
    for (const auto& l : res.layers)
      if (l.checked) std::cout << "check " << l.name << ": " << (l.report.passed ? "passed" : "FAILED") << ": " << l.report.details << "\n";
  }
  return checks_ok ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"aiconf-profile " AICONF_VERSION_STRING
               ": run mock layers under CUPTI and print their kernel table, or diff two kernel tables\n"
               "  aiconf-profile <mock_layer> key=value ... [+ <mock_layer> key=value ...]\n"
               "  aiconf-profile --diff A.csv B.csv [--map REGEX=KEY]..."};
  app.set_version_flag("--version", AICONF_VERSION_STRING);
  app.add_option("layers", o.words, "Mock layer name and its shape as key=value words; '+' starts another layer");
  app.add_option("--diff", o.diff, "Compare two kernel tables (ours, nsys or torch.profiler CSV); ratio = B / A")
      ->expected(2)->type_name("A.csv B.csv");
  app.add_option("--map", o.maps, "Name rule for --diff: kernels matching REGEX are compared under KEY (repeatable)")->type_name("REGEX=KEY");
  app.add_option("--map-file", o.map_file, "File of name rules, one REGEX=KEY per line")->type_name("FILE");
  app.add_option("--model", o.model, "Model config: complete each layer's shape from its collector's quick sweep")->type_name("CONFIG");
  app.add_option("--quick-case", o.quick_case, "With --model: which quick case (default: the middle one)");
  app.add_option("--iterations", o.run.iterations, "Traced forward passes")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.run.warmup, "Untimed forward passes first")->capture_default_str()->check(CLI::Range(0, 100000));
  app.add_option("--device", o.run.device, "CUDA device ordinal")->capture_default_str();
  app.add_flag("--check", o.run.check, "Also compare each layer's outputs with its CPU reference (exit 4 on a mismatch)");
  app.add_option("--out", o.out_csv, "Also write the kernel table as CSV to this file")->type_name("FILE");
  app.add_flag("--json", o.json, "Print JSON");
  app.add_flag("--csv", o.csv, "Print CSV (the format --diff reads)");
  app.add_flag("--list", o.list, "List the registered mock layers and exit");
  app.add_option("--plugin-dir", o.load.plugin_dirs, "Plugin directory searched first (repeatable)")->type_name("DIR");
  app.add_flag("--strict", o.load.strict, "Fail on the first plugin that cannot be loaded");
  app.add_flag("--no-default-plugins", o.no_default_plugins, "Do not search the default plugin directory next to libaiconf");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.json && o.csv) return fail("--json and --csv exclude each other", 2);
  try {
    return o.diff.empty() ? run_profile(o) : run_diff(o);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
