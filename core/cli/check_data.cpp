// `aiconf check`: phase 3's alignment report and phase 4 (collection): the collectors' quick
// cases hold every key column, our tables hold at least as many points as the reference, and
// they load.
#include "check_items.h"

#include <aiconf/perf_database.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace aiconf::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool in(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Whether a report (JSON object) is about the target: its "plugins" list or its "family".
bool report_covers(const json::object& o, const CheckTarget& t) {
  if (const auto* f = o.if_contains("family"); f && f->is_string() && f->as_string() == t.family && !t.family.empty()) return true;
  if (const auto* p = o.if_contains("plugins"); p && p->is_array())
    for (const auto& v : p->as_array())
      if (v.is_string() && in(t.plugins, std::string(v.as_string()))) return true;
  return false;
}

Status read_json(const fs::path& path, json::value* out) {
  std::ifstream f(path);
  if (!f) return Status::error(path.string() + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  boost::system::error_code ec;
  *out = json::parse(ss.str(), ec);
  if (ec) return Status::error(path.string() + ": not valid JSON: " + ec.message());
  if (!out->is_object()) return Status::error(path.string() + ": expected a JSON object at the top level");
  return Status::ok();
}

}  // namespace

void check_alignment(const CheckTarget& t, std::vector<CheckItem>* out) {
  CheckItem item{3, "kernel alignment passed", CheckState::fail, "", {}};
  std::vector<fs::path> candidates;
  if (!t.alignment_report.empty()) {
    candidates.push_back(t.alignment_report);
  } else {
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(t.source_dir) / "docs" / "alignment", ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".json") candidates.push_back(it->path());
    std::sort(candidates.begin(), candidates.end());
  }
  for (const auto& path : candidates) {
    json::value v;
    if (Status s = read_json(path, &v); !s) {
      if (!t.alignment_report.empty()) item.evidence = s.message();
      continue;
    }
    const auto& o = v.as_object();
    if (t.alignment_report.empty() && !report_covers(o, t)) continue;
    const auto* passed = o.if_contains("passed");
    if (!passed || !passed->is_bool()) {
      item.evidence = path.string() + ": no boolean field 'passed'";
      out->push_back(item);
      return;
    }
    item.state = passed->as_bool() ? CheckState::pass : CheckState::fail;
    item.evidence = path.string();
    for (const char* k : {"card", "generated", "summary"})
      if (const auto* f = o.if_contains(k); f && f->is_string()) item.details.push_back(std::string(k) + ": " + std::string(f->as_string()));
    out->push_back(item);
    return;
  }
  if (item.evidence.empty())
    item.evidence = "no alignment report for " + t.name + " under " + (fs::path(t.source_dir) / "docs" / "alignment").string() +
                    " (a JSON object with \"plugins\" or \"family\" and \"passed\"; see docs/alignment/README.md)";
  out->push_back(item);
}

void check_collection(const Registry& reg, const CheckTarget& t, const ModelConfig* cfg, std::vector<CheckItem>* out) {
  // Output format: every quick case of every collector holds every key column of its table.
  CheckItem format{4, "output format right", CheckState::pass, "", {}};
  int collectors = 0;
  for (const auto& [name, c] : reg.collectors) {
    if (!in(t.plugins, c.plugin)) continue;
    ++collectors;
    auto op = reg.operations.find(c.object->op_name());
    if (op == reg.operations.end()) {
      format.state = CheckState::fail;
      format.details.push_back(name + ": writes for operation '" + c.object->op_name() + "', which no loaded plugin registers");
      continue;
    }
    SweepOptions opt;
    opt.quick = true;
    opt.model = cfg;
    std::vector<Params> cases;
    if (Status s = c.object->cases(opt, &cases); !s || cases.empty()) {
      format.state = CheckState::fail;
      format.details.push_back(name + ": " + (s ? "no quick case" : s.message()));
      continue;
    }
    const TableSchema& schema = op->second.object->schema();
    std::string missing;
    for (const auto& p : cases)
      for (const auto& col : schema.keys)
        if (!p.has(col.name) && missing.find(col.name) == std::string::npos) missing += (missing.empty() ? "" : ", ") + col.name;
    const bool mock = reg.mock_layers.count(c.object->mock_layer()) > 0;
    if (!missing.empty()) {
      format.state = CheckState::fail;
      format.details.push_back(name + ": quick cases lack key columns of " + schema.table + ": " + missing);
    } else {
      format.details.push_back(name + ": " + std::to_string(cases.size()) + " quick cases hold the " + std::to_string(schema.keys.size()) +
                               " key columns of " + schema.table + " (mock layer " + c.object->mock_layer() +
                               (mock ? " registered)" : " not registered in this build)"));
    }
  }
  format.evidence = std::to_string(collectors) + " collectors";
  if (collectors == 0) {
    format.state = CheckState::skip;
    format.evidence = "no collector registered by " + t.name;
  }
  out->push_back(format);

  // Data points and table format: our tables against the reference tables' row counts.
  std::shared_ptr<PerfDatabase> ours, ref;
  if (!t.perfdb_root.empty() && !open_perf_database(t.perfdb_root, t.system, &ours)) ours.reset();
  if (!t.reference_root.empty()) {
    PerfDatabaseOptions ro;
    ro.backend = "trtllm";
    if (!open_perf_database(t.reference_root, t.system, ro, &ref)) ref.reset();
  }
  // The full standard sweep of the collectors that write `table`, for the checked model (0: none).
  auto sweep_cases = [&](const std::string& table) -> std::size_t {
    std::size_t n = 0;
    for (const auto& [name, c] : reg.collectors) {
      auto op = reg.operations.find(c.object->op_name());
      if (op == reg.operations.end() || op->second.object->schema().table != table) continue;
      SweepOptions full;
      full.quick = false;
      full.model = cfg;
      std::vector<Params> cases;
      if (c.object->cases(full, &cases)) n += cases.size();
    }
    return n;
  };
  // The reference count for one of our tables:
  // - the same table in the reference, counting only the checked model's architecture when the
  //   table has an architecture column (aiconfigurator's DSA module tables hold two models);
  // - else the MLA attention table of the phase (context_mla_perf / generation_mla_perf), capped by
  //   the complete standard sweep of the table's collectors: a table with fewer key dimensions (the
  //   indexer has no heads) is complete when every standard case is in it.
  auto ref_rows = [&](const std::string& table, std::string* from) -> std::size_t {
    TableInfo info;
    if (ref && ref->has_table(table) && ref->table_info(table, &info)) {
      const std::string arch = cfg ? cfg->core.architecture : std::string();
      for (const auto& cs : info.ranges) {
        if (cs.name != "architecture" || arch.empty()) continue;
        for (std::size_t i = 0; i < cs.values.size() && i < cs.counts.size(); ++i)
          if (cs.values[i] == arch) {
            *from = table + ", its " + arch + " rows (" + info.path + ")";
            return cs.counts[i];
          }
      }
      *from = table + " (" + info.path + ")";
      return info.rows;
    }
    std::string name;
    if (table.find("context") != std::string::npos) name = "context_mla_perf";
    else if (table.find("generation") != std::string::npos) name = "generation_mla_perf";
    else return 0;
    std::size_t want = 0;
    if (ref && ref->table_info(name, &info)) {
      *from = name + " (" + info.path + ")";
      want = info.rows;
    } else {
      *from = name + " (target count: the reference is not present)";
      want = name == "context_mla_perf" ? 1760 : 2896;
    }
    const std::size_t sweep = cfg ? sweep_cases(table) : 0;
    if (sweep > 0 && sweep < want) {
      *from = "the complete standard sweep for this model (" + std::to_string(sweep) + " cases, fewer than the " +
              std::to_string(want) + " rows of " + name + ": fewer key dimensions)";
      return sweep;
    }
    return want;
  };
  CheckItem points{4, "data points at least the reference count", CheckState::skip, "", {}};
  CheckItem valid{4, "table format valid", CheckState::skip, "", {}};
  int present = 0, short_tables = 0, bad = 0;
  std::map<std::string, bool> seen;
  for (const auto& [name, op] : reg.operations) {
    if (!in(t.plugins, op.plugin)) continue;
    const std::string table = op.object->schema().table;
    if (seen[table]) continue;
    seen[table] = true;
    if (!ours || !ours->has_table(table)) {
      points.details.push_back(table + ": not collected yet in " + t.perfdb_root + "/" + t.system + " (aiconf-collect --table " + table + ")");
      continue;
    }
    ++present;
    TableInfo info;
    if (Status s = ours->table_info(table, &info); !s) {
      ++bad;
      valid.details.push_back(table + ": " + s.message());
      continue;
    }
    valid.details.push_back(table + ": " + info.path + ": " + std::to_string(info.rows) + " rows, " + std::to_string(info.columns.size()) +
                            " key columns, " + std::to_string(info.rejected_latency + info.skipped_malformed) + " rejected");
    if (info.rows == 0) ++bad;
    std::string from;
    const std::size_t want = ref_rows(table, &from);
    if (want == 0) {
      points.details.push_back(table + ": " + std::to_string(info.rows) + " rows (no reference table to compare)");
    } else {
      if (info.rows < want) ++short_tables;
      points.details.push_back(table + ": " + std::to_string(info.rows) + " rows vs " + std::to_string(want) + " in " + from);
    }
  }
  if (present > 0) {
    points.state = short_tables ? CheckState::fail : CheckState::pass;
    points.evidence = std::to_string(present) + " tables collected, " + std::to_string(short_tables) + " below the reference count";
    valid.state = bad ? CheckState::fail : CheckState::pass;
    valid.evidence = std::to_string(present - bad) + " of " + std::to_string(present) + " tables load with rows";
  } else {
    points.evidence = valid.evidence = "skipped (none of the plugin's tables is collected in " +
                                       (t.perfdb_root.empty() ? std::string("any perf database") : t.perfdb_root + "/" + t.system) +
                                       " yet: collection needs a GPU)";
  }
  out->push_back(points);
  out->push_back(valid);
}

}  // namespace aiconf::cli
