#include "adaptive_sol.h"

#include <aiconf/model_sol_key.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace aiconf::collect {
namespace fs = std::filesystem;

namespace {

// Entries every case holds with one value that are not table columns: what the collector's sweep
// put there from --model for its mock layer (the same names the operation's cost reads).
Params constant_extras(const TablePlan& plan) {
  Params out;
  if (plan.cases.empty()) return out;
  std::set<std::string> columns;
  for (const auto& c : plan.key_columns) columns.insert(c.name);
  for (const auto& [k, v] : plan.cases.front().items()) {
    if (columns.count(k)) continue;
    bool same = true;
    for (const auto& c : plan.cases) {
      const Value* w = c.find(k);
      same = same && w && *w == v;
    }
    if (same) out.set(k, v);
  }
  return out;
}

std::string system_spec_path(const std::string& out_root, const std::string& system) {
  std::vector<fs::path> roots{fs::path(out_root)};
  if (const char* env = std::getenv("AICONF_PERFDB"); env && *env) roots.emplace_back(env);
#ifdef AICONF_SOURCE_DIR
  roots.push_back(fs::path(AICONF_SOURCE_DIR) / "perfdb");
#endif
  std::error_code ec;
  for (const auto& r : roots)
    if (fs::is_regular_file(r / "systems" / (system + ".json"), ec)) return (r / "systems" / (system + ".json")).string();
  return "";
}

}  // namespace

Status scoring_sol(const Registry& reg, const TablePlan& plan, const std::string& table_dir, const ModelConfig* model,
                   ScoringSol* out) {
  *out = ScoringSol{};
  const Operation* op = plan.op;
  if (op && op->name() != plan.op_name) {
    // A stand-in (replay) prices nothing itself: the real operation's cost, or none at all.
    auto it = reg.operations.find(plan.op_name);
    if (it == reg.operations.end() || it->second.object->schema().table != plan.table) {
      out->note = "operation '" + plan.op_name + "' of table " + plan.table +
                  " is not loaded: leave-one-out scoring extrapolates by slope";
      return Status::ok();
    }
    op = it->second.object.get();
  }
  // table_dir = <out>/<system>/aiconf/<version>
  const fs::path dir(table_dir);
  const std::string system = dir.parent_path().parent_path().filename().string();
  const std::string spec = system_spec_path(dir.parent_path().parent_path().parent_path().string(), system);
  if (spec.empty()) {
    out->note = "no system spec " + system + ".json found: leave-one-out scoring extrapolates by slope";
    return Status::ok();
  }
  if (Status s = load_system_spec(spec, &out->sys); !s) return s;
  out->op = op;
  out->key = constant_extras(plan);
  if (model) {
    Params dims;
    if (Status s = model_sol_key(reg, *model, *op, &dims); !s) return s;
    for (const auto& [k, v] : dims.items()) out->key.set(k, v);
  }
  out->note = std::string("leave-one-out scoring extrapolates with ") + op->name() + "'s speed-of-light on " + spec +
              (out->key.empty() ? std::string(" (no dimensions beyond the table's columns)") : " and " + out->key.str());
  return Status::ok();
}

}  // namespace aiconf::collect
