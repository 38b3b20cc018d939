#include "case_plan.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace aiconf::collect {

namespace {

std::string list_of(const std::set<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

std::string format_default(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return to_string(Value(v));
}

}  // namespace

std::vector<std::string> TablePlan::key_names() const {
  std::vector<std::string> out;
  for (const auto& c : key_columns) out.push_back(c.name);
  return out;
}

std::string TablePlan::label(std::size_t i) const {
  std::string s = table;
  for (std::size_t k = 0; k < key_columns.size(); ++k) s += " " + key_columns[k].name + "=" + keys[i][k];
  return s;
}

Status select_collectors(const Registry& reg, const Selection& sel, std::vector<const Registered<Collector>*>* out) {
  out->clear();
  std::set<std::string> names, plugins, tables;
  for (const auto& [name, c] : reg.collectors) {
    names.insert(name);
    plugins.insert(c.plugin);
    if (auto it = reg.operations.find(c.object->op_name()); it != reg.operations.end())
      tables.insert(it->second.object->schema().table);
  }
  for (const auto& n : sel.collectors)
    if (!names.count(n)) return Status::error("no collector named '" + n + "' (known collectors: " + list_of(names) + ")");
  for (const auto& p : sel.plugins)
    if (!plugins.count(p)) return Status::error("no loaded plugin '" + p + "' registers a collector (plugins with collectors: " + list_of(plugins) + ")");
  for (const auto& t : sel.tables)
    if (!tables.count(t)) return Status::error("no collector writes table '" + t + "' (tables with collectors: " + list_of(tables) + ")");

  auto wanted = [](const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  for (const auto& [name, c] : reg.collectors) {
    std::string table;
    if (auto it = reg.operations.find(c.object->op_name()); it != reg.operations.end()) table = it->second.object->schema().table;
    if (wanted(sel.collectors, name) || wanted(sel.plugins, c.plugin) || (!table.empty() && wanted(sel.tables, table)))
      out->push_back(&c);
  }
  return Status::ok();
}

Status plan_table(const Registry& reg, const Registered<Collector>& rc, const SweepOptions& sweep, const CaseFilter& filter,
                  TablePlan* out) {
  const Collector& c = *rc.object;
  TablePlan p;
  p.collector = c.name();
  p.plugin = rc.plugin;
  p.operation = c.op_name();
  p.mock_layer = c.mock_layer();
  const Operation* op = nullptr;
  if (Status s = reg.find_operation(p.operation, &op); !s)
    return Status::error("collector " + p.collector + " (plugin " + p.plugin + "): " + s.message());
  p.op = op;
  const TableSchema& schema = op->schema();
  p.table = schema.table;
  p.op_name = !schema.op_names.empty() && !schema.op_names[0].empty() ? schema.op_names[0] : p.operation;
  p.key_columns = schema.keys;
  if (auto it = reg.mock_layers.find(p.mock_layer); it != reg.mock_layers.end()) p.factory = it->second.object.get();

  std::vector<Params> all;
  if (Status s = c.cases(sweep, &all); !s) return Status::error("collector " + p.collector + ": " + s.message());
  p.sweep_size = all.size();

  // Filter terms apply to the collectors whose cases have their key.
  std::set<std::string> fields;
  for (const auto& cs : all)
    for (const auto& [k, v] : cs.items()) fields.insert(k);
  CaseFilter local;
  {
    std::string text;
    for (const auto& t : filter.terms()) {
      if (!fields.count(t.key)) {
        p.ignored_filter_keys.push_back(t.key);
        continue;
      }
      std::string vals;
      for (const auto& v : t.values) vals += (vals.empty() ? "" : "|") + v;
      text += (text.empty() ? "" : ",") + t.key + "=" + vals;
    }
    if (Status s = CaseFilter::parse(text, &local); !s) return s;
  }

  std::set<std::vector<std::string>> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!local.matches(all[i])) continue;
    std::vector<std::string> key;
    for (const auto& col : p.key_columns) {
      if (const Value* v = all[i].find(col.name)) {
        key.push_back(to_string(*v));
      } else if (col.kind == ColumnKind::numeric && !std::isnan(col.default_value)) {
        key.push_back(format_default(col.default_value));
      } else {
        return Status::error("collector " + p.collector + ": case #" + std::to_string(i) + " (" + all[i].str() +
                             ") lacks key column '" + col.name + "' of table " + p.table +
                             " (every case must carry every key column of the schema)");
      }
    }
    // Two cases with one key would write two rows for one key: the sweep repeats itself.
    if (!seen.insert(key).second) continue;
    p.cases.push_back(all[i]);
    p.keys.push_back(std::move(key));
  }
  *out = std::move(p);
  return Status::ok();
}

std::vector<std::string> unused_filter_keys(const CaseFilter& filter, const std::vector<TablePlan>& plans) {
  std::vector<std::string> out;
  for (const auto& t : filter.terms()) {
    bool used = false;
    for (const auto& p : plans)
      if (std::find(p.ignored_filter_keys.begin(), p.ignored_filter_keys.end(), t.key) == p.ignored_filter_keys.end()) used = true;
    if (!used) out.push_back(t.key);
  }
  return out;
}

}  // namespace aiconf::collect
