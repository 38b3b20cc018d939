// `aiconf check <plugin|family>`: the five-phase checklist of adding an operator, run live, each
// item with pass / fail / skip and its evidence. Exit 1 on any failure; skipped items (no GPU, no
// data collected yet) do not fail.
#include "check_items.h"
#include "cli_common.h"
#include "perfdb_paths.h"

#include <filesystem>
#include <iostream>

namespace aiconf::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct CheckOptions {
  std::string target, model, system = "h200_sxm", perfdb, alignment, reference;
  bool as_json = false;
};

const char* kPhases[] = {"", "config and mapping", "operations", "mock layer and alignment", "collection", "integration"};

// The repository root: the folder above the source perfdb/ this CLI was built from.
std::string source_dir() {
#ifdef AICONF_SOURCE_PERFDB_DIR
  std::error_code ec;
  if (fs::is_directory(AICONF_SOURCE_PERFDB_DIR, ec)) return fs::path(AICONF_SOURCE_PERFDB_DIR).parent_path().string();
#endif
  return fs::current_path().string();
}

void run_check(const CheckOptions& o, CliContext& ctx) {
  const Registry& reg = ctx.registry();
  CheckTarget t;
  t.model_path = o.model;
  t.source_dir = source_dir();
  t.system = o.system;
  t.perfdb_root = o.perfdb.empty() ? default_perfdb_root() : o.perfdb;
  t.alignment_report = o.alignment;
  if (!o.reference.empty()) {
    t.reference_root = o.reference;
  } else {
    std::error_code ec;
    fs::path shared = fs::path(t.source_dir).parent_path() / "shared" / "reference" / "aiconfigurator";
    if (fs::is_directory(shared, ec)) t.reference_root = shared.string();
  }
  throw_if_error(resolve_target(reg, o.target, &t));

  std::vector<CheckItem> items;
  ModelConfig cfg;
  bool cfg_ok = false;
  check_config(reg, t, &cfg, &cfg_ok, &items);
  const ModelConfig* model = cfg_ok ? &cfg : nullptr;
  check_queries(reg, t, model, &items);
  check_mock_layers(reg, t, model, &items);
  check_alignment(t, &items);
  check_collection(reg, t, model, &items);
  check_cli_model(reg, t, model, &items);

  int passed = 0, failed = 0, skipped = 0;
  for (const auto& i : items) (i.state == CheckState::pass ? passed : i.state == CheckState::fail ? failed : skipped)++;
  if (o.as_json) {
    json::array arr;
    for (const auto& i : items) {
      json::array details;
      for (const auto& d : i.details) details.push_back(json::string(d));
      arr.push_back(json::object{{"phase", i.phase}, {"phase_name", kPhases[i.phase]}, {"item", i.item},
                                 {"state", i.state == CheckState::fail ? "fail" : to_string(i.state)}, {"evidence", i.evidence},
                                 {"details", std::move(details)}});
    }
    json::array plugins;
    for (const auto& p : t.plugins) plugins.push_back(json::string(p));
    CliContext::print_json(json::object{{"target", t.name}, {"plugins", std::move(plugins)}, {"family", t.family},
                                        {"config", t.model_path}, {"system", t.system}, {"perfdb", t.perfdb_root},
                                        {"reference", t.reference_root}, {"items", std::move(arr)}, {"passed", passed},
                                        {"failed", failed}, {"skipped", skipped}, {"ok", failed == 0}});
  } else {
    std::string plugins;
    for (const auto& p : t.plugins) plugins += (plugins.empty() ? "" : ", ") + p;
    std::cout << "aiconf check " << t.name << "  (plugins: " << plugins << "; family: " << (t.family.empty() ? "-" : t.family)
              << "; system: " << t.system << ")\n";
    int phase = 0;
    for (const auto& i : items) {
      if (i.phase != phase) {
        phase = i.phase;
        std::cout << "phase " << phase << ": " << kPhases[phase] << "\n";
      }
      std::cout << "  [" << to_string(i.state) << "] " << i.item << ": " << i.evidence << "\n";
      for (const auto& d : i.details) std::cout << "         " << d << "\n";
    }
    std::cout << "result: " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  }
  if (failed > 0) throw CliExit{1};
}

}  // namespace

void add_check_command(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<CheckOptions>();
  auto* c = app.add_subcommand("check", "Run the five-phase checklist of an operator plugin (or model family) live, with evidence; "
                                        "exit 1 on any failure");
  c->add_option("target", o->target, "Plugin name or model family")->required();
  c->add_option("--model", o->model, "Model config.json (default: the first examples/configs/*.json of the family)");
  c->add_option("--system", o->system, "System whose spec and perf tables are used")->capture_default_str();
  c->add_option("--perfdb", o->perfdb, "Our perf database root (default: $AICONF_PERFDB, the installed or source perfdb/)");
  c->add_option("--reference", o->reference, "Reference tables root (default: ../shared/reference/aiconfigurator when present)");
  c->add_option("--alignment", o->alignment, "Alignment report JSON (default: the one under docs/alignment/ naming the plugin)");
  c->add_flag("--json", o->as_json, "Print JSON");
  c->callback([o, &ctx] { run_check(*o, ctx); });
}

}  // namespace aiconf::cli
