// `aiconf query <op> key=value ...`: one latency with its provenance and the rows it used.
#include "cli_common.h"
#include "perfdb_paths.h"

#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>

#include <charconv>
#include <iostream>

namespace aiconf::cli {
namespace json = boost::json;

namespace {

struct QueryOptions {
  std::string op;
  std::vector<std::string> keys;
  std::string system = "h200_sxm";
  std::string perfdb;
  std::string mode = "hybrid";
  std::string backend, version;
  bool as_json = false;
};

/// "k=v": an integer when v is one, a real when v is one, else the string.
std::pair<std::string, Value> parse_key(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("query key '" + kv + "': expected key=value (e.g. m=4096 gemm_dtype=fp8)");
  std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
  std::int64_t i = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
  if (ec == std::errc() && p == v.data() + v.size() && !v.empty()) return {k, i};
  double d = 0;
  auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec2 == std::errc() && p2 == v.data() + v.size() && !v.empty()) return {k, d};
  return {k, v};
}

json::object latency_json(const Latency& l) {
  json::array rows, parts;
  for (const auto& r : l.rows) rows.push_back(json::string(r));
  for (const auto& [name, p] : l.parts) parts.push_back(json::object{{"name", name}, {"latency", latency_json(p)}});
  return json::object{{"ms", l.ms}, {"provenance", to_string(l.provenance)}, {"table", l.table}, {"note", l.note},
                      {"rows", std::move(rows)}, {"parts", std::move(parts)}};
}

void print_latency(const Latency& l, const std::string& indent) {
  std::cout << indent << fmt(l.ms) << " ms  " << to_string(l.provenance);
  if (!l.table.empty()) std::cout << "  [" << l.table << "]";
  std::cout << "\n";
  if (!l.note.empty()) std::cout << indent << "  " << l.note << "\n";
  const std::size_t shown = 8;
  for (std::size_t i = 0; i < l.rows.size() && i < shown; ++i) std::cout << indent << "  row " << l.rows[i] << "\n";
  if (l.rows.size() > shown) std::cout << indent << "  ... " << l.rows.size() - shown << " more rows\n";
  for (const auto& [name, p] : l.parts) {
    std::cout << indent << "  part " << name << ":\n";
    print_latency(p, indent + "    ");
  }
}

void run_query(const QueryOptions& o, CliContext& ctx) {
  QueryMode mode;
  throw_if_error(parse_query_mode(o.mode, &mode));
  Params key;
  for (const auto& kv : o.keys) {
    auto [k, v] = parse_key(kv);
    key.set(k, v);
  }
  std::string root = o.perfdb.empty() ? default_perfdb_root() : o.perfdb;
  SystemSpec spec;
  throw_if_error(load_system_for(root, o.system, &spec));
  std::shared_ptr<PerfDatabase> db;
  std::string db_note;
  if (root.empty()) {
    db_note = "no perf database root found (set --perfdb or AICONF_PERFDB)";
  } else {
    PerfDatabaseOptions po;
    po.backend = o.backend;
    po.version = o.version;
    Status s = open_perf_database(root, o.system, po, &db);
    if (!s) {
      if (mode == QueryMode::silicon) throw Error(s.message());
      db_note = s.message();
    }
  }
  const Registry& reg = ctx.registry();
  QueryEngine engine(reg, db, spec, mode);
  Latency lat;
  throw_if_error(engine.query(o.op, key, &lat));
  if (!db_note.empty()) lat.note = db_note + "; " + lat.note;
  if (o.as_json) {
    json::object params;
    for (const auto& [k, v] : key.items()) {
      if (auto n = as_number(v); n && !std::holds_alternative<bool>(v)) params[k] = *n;
      else params[k] = to_string(v);
    }
    CliContext::print_json(json::object{{"operation", o.op}, {"system", o.system}, {"mode", to_string(mode)},
                                        {"perfdb", root}, {"key", std::move(params)}, {"latency", latency_json(lat)}});
  } else {
    std::cout << o.op << " " << key.str() << "  on " << o.system << " (mode " << to_string(mode) << ")\n";
    print_latency(lat, "  ");
  }
}

}  // namespace

void add_query_command(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<QueryOptions>();
  auto* c = app.add_subcommand("query", "Latency of one operation for one key, with provenance and the rows used");
  c->add_option("op", o->op, "Operation name (see `aiconf plugins`)")->required();
  c->add_option("keys", o->keys, "key=value pairs (table key columns and speed-of-light dimensions)");
  c->add_option("--system", o->system, "System (perfdb/systems/<name>.json and <perfdb>/<name>/)")->capture_default_str();
  c->add_option("--perfdb", o->perfdb, "Perf database root (default: $AICONF_PERFDB, the installed or source perfdb/)");
  c->add_option("--mode", o->mode, "silicon (data only, error without), hybrid (data, else empirical), empirical, sol")->capture_default_str();
  c->add_option("--backend", o->backend, "Only tables under this backend folder");
  c->add_option("--table-version", o->version, "Only tables under this version folder");
  c->add_flag("--json", o->as_json, "Print JSON");
  c->callback([o, &ctx] { run_query(*o, ctx); });
}

}  // namespace aiconf::cli
